import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, PROJECT_ROOT, bundlingOptions } from '../bundling.js';
import type { EnvironmentConfig } from '../config.js';
import { APP_USER, type Database } from './Database.js';
import { functionLogsAndRole, sessionsTableStatements, vpcAccessStatement, type ApiFunctions } from './ApiFunctions.js';
import type { Network } from './Network.js';

/** The SQS consumer's entry (not an HTTP route). */
export const SIDE_EFFECTS_ENTRY = join('functions', 'queues', 'side-effects.ts');

/** Whether the code has a side-effect consumer; the queue exists only with it. */
export const hasSideEffectConsumer = () => existsSync(join(PROJECT_ROOT, SIDE_EFFECTS_ENTRY));

/**
 * Side effects off the request path (last-login timestamps, download counts, revocations to
 * retry, dead sessions to remove): the API functions send one message per request
 * (SIDE_EFFECTS_QUEUE_URL, sqs:SendMessage on this queue only), and a consumer applies them in
 * batches (PostgreSQL, and the sessions table for the revocation work), reporting malformed
 * messages as batch-item failures so they alone reach the dead-letter queue.
 */
export class SideEffects extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly consumer: NodejsFunction;
  readonly endpoint?: ec2.InterfaceVpcEndpoint;

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: EnvironmentConfig;
      network: Network;
      database: Database;
      api: ApiFunctions;
      jwtSecretArn: string;
      table: dynamodb.ITableV2;
    },
  ) {
    super(scope, id);
    const { config, network, database, api } = props;
    const inVpc = config.dataAccess === 'proxy';

    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Longer than the consumer's timeout, so a batch is not redelivered while it runs.
      visibilityTimeout: Duration.seconds(180),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
    });

    const { logGroup, role } = functionLogsAndRole(this, 'Consumer', config, 'Applies queued side effects to PostgreSQL and the sessions table');
    if (inVpc) role.addToPrincipalPolicy(vpcAccessStatement());
    // Revocations (auth state, token grants) and session clean-up: the same named actions as the API.
    for (const statement of sessionsTableStatements(props.table)) role.addToPrincipalPolicy(statement);
    // The shared runtime reads the JWT key when it starts, whatever the function.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'JwtSigningKey', actions: ['secretsmanager:GetSecretValue'], resources: [props.jwtSecretArn] }),
    );
    if (inVpc) database.proxy!.grantConnect(role, APP_USER);
    else {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DataApi',
          actions: ['rds-data:ExecuteStatement', 'rds-data:BatchExecuteStatement', 'rds-data:BeginTransaction', 'rds-data:CommitTransaction', 'rds-data:RollbackTransaction'],
          resources: [database.cluster.clusterArn],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'DataApiSecret', actions: ['secretsmanager:GetSecretValue'], resources: [database.appUserSecret.secretArn] }),
      );
    }

    this.consumer = new NodejsFunction(this, 'Consumer', {
      description: 'Applies side effects (last login, download counts, revocations, session clean-up) from SQS in batches',
      entry: join(PROJECT_ROOT, SIDE_EFFECTS_ENTRY),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: api.runtimeEnvironment,
      bundling: bundlingOptions(),
      ...(inVpc ? { vpc: network.vpc, vpcSubnets: network.subnets, securityGroups: [network.functionsSg] } : {}),
    });
    this.consumer.node.addDependency(role);
    this.consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        // A few batches at a time: side effects must not compete with requests for proxy connections.
        maxConcurrency: 2,
      }),
    );

    // The functions send from isolated subnets: SQS through an interface endpoint.
    if (inVpc) {
      this.endpoint = network.vpc.addInterfaceEndpoint('SqsEndpoint', {
        service: ec2.InterfaceVpcEndpointAwsService.SQS,
        subnets: network.subnets,
        privateDnsEnabled: true,
        open: false,
        securityGroups: [network.endpointsSg],
      });
    }

    // Producers: every API function may send to this queue, and nothing else.
    for (const { fn, role: apiRole } of api.functions) {
      fn.addEnvironment('SIDE_EFFECTS_QUEUE_URL', this.queue.queueUrl);
      apiRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'SideEffectsQueue', actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
      );
    }
  }
}
