import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct, type IConstruct } from 'constructs';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, PROJECT_ROOT, bundlingOptions } from '../bundling.js';
import type { EnvironmentConfig } from '../config.js';
import { functionLogsAndRole, vpcAccessStatement } from './ApiFunctions.js';
import { DATABASE_NAME, POSTGRES_PORT, type Database } from './Database.js';
import type { Network } from './Network.js';

/**
 * The migration function (infra/functions/migrate.ts) and the trigger that runs it on every
 * deployment that changes it (new migrations change its bundle): after the cluster, its secrets
 * and the Secrets Manager endpoint exist, before any API function is created or updated.
 * It connects to the cluster's writer directly with the master secret, never through the proxy.
 */
export class Migrations extends Construct {
  readonly fn: NodejsFunction;
  readonly trigger: triggers.Trigger;

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: EnvironmentConfig;
      network: Network;
      database: Database;
      rootPasswordSecret: secretsmanager.ISecret;
      /** What must run after the migrations (the API functions). */
      before: IConstruct[];
    },
  ) {
    super(scope, id);
    const { config, network, database } = props;
    const { logGroup, role } = functionLogsAndRole(this, '', config, 'Applies database migrations on deployment');
    role.addToPrincipalPolicy(vpcAccessStatement());
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'MigrationSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [database.masterSecret.secretArn, database.appUserSecret.secretArn, props.rootPasswordSecret.secretArn],
      }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      description: 'Applies schema migrations, the app user and the root user (run on deployment)',
      entry: join(PROJECT_ROOT, 'infra', 'functions', 'migrate.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      // argon2id hashing of the root password wants memory (and the CPU that comes with it).
      memorySize: 1024,
      timeout: Duration.minutes(5),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      vpc: network.vpc,
      vpcSubnets: network.subnets,
      securityGroups: [network.migrationSg],
      environment: {
        DATABASE_SECRET_ARN: database.masterSecret.secretArn,
        APP_USER_SECRET_ARN: database.appUserSecret.secretArn,
        ROOT_PASSWORD_SECRET_ARN: props.rootPasswordSecret.secretArn,
        DATABASE_HOST: database.cluster.clusterEndpoint.hostname,
        DATABASE_PORT: String(POSTGRES_PORT),
        DATABASE_NAME,
        // The cluster's certificate is signed by the RDS CAs, which Node 20+ runtimes do not load by default.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: bundlingOptions(),
    });
    this.fn.node.addDependency(role);

    this.trigger = new triggers.Trigger(this, 'OnDeploy', {
      handler: this.fn,
      executeOnHandlerChange: true,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(6),
      executeAfter: [database.cluster, database.appUserSecret, network.secretsEndpoint],
      executeBefore: props.before,
    });
  }
}
