import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SESSIONS_TABLE } from '../../shared/adapters/dynamodb/sessionsTable.js';
import { routeKey, type RouteDefinition } from '../../shared/routes.js';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, PROJECT_ROOT, bundlingOptions } from '../bundling.js';
import type { EnvironmentConfig } from '../config.js';
import {
  BLOBS_PREFIX,
  BUCKET_OBJECT_ACTIONS,
  SESSIONS_INDEX_ACTIONS,
  SESSIONS_TABLE_ACTIONS,
  STAGING_OBJECT_ACTIONS,
  STAGING_PREFIX,
  dataNeeds,
  functionId,
} from '../routePolicy.js';
import { APP_USER, DATABASE_NAME, POSTGRES_PORT, type Database } from './Database.js';
import type { Network } from './Network.js';

export interface ApiFunctionsProps {
  routes: readonly RouteDefinition[];
  config: EnvironmentConfig;
  table: dynamodb.ITableV2;
  jwtSecret: secretsmanager.ISecret;
  /** CloudFront's origin secret: API functions refuse requests without it. */
  originSecret: secretsmanager.ISecret;
  bucket: s3.IBucket;
  database: Database;
  network: Network;
}

export interface RouteFunction {
  route: RouteDefinition;
  fn: NodejsFunction;
  role: iam.Role;
  logGroup: logs.LogGroup;
}

/**
 * Statements for a function's own log group: write only, no log-group creation (the group
 * exists, with its retention, before the function).
 */
export function logWriteStatement(logGroup: logs.ILogGroup): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'WriteOwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  });
}

/**
 * A function's own log group (retained in prod) and its execution role, which may write only to
 * that group. Construct ids are `<prefix>Logs` and `<prefix>Role`.
 */
export function functionLogsAndRole(scope: Construct, prefix: string, config: EnvironmentConfig, description: string) {
  const logGroup = new logs.LogGroup(scope, `${prefix}Logs`, {
    retention: config.logRetention,
    removalPolicy: config.name === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, `${prefix}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  role.addToPrincipalPolicy(logWriteStatement(logGroup));
  return { logGroup, role };
}

/** What Lambda needs to attach a function to the VPC (network interfaces cannot be named in advance). */
/** The sessions table and its user index, with the named actions the adapters use only. */
export function sessionsTableStatements(table: dynamodb.ITableV2): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ sid: 'SessionsTable', actions: [...SESSIONS_TABLE_ACTIONS], resources: [table.tableArn] }),
    new iam.PolicyStatement({
      sid: 'SessionsByUser',
      actions: [...SESSIONS_INDEX_ACTIONS],
      resources: [`${table.tableArn}/index/${SESSIONS_TABLE.userIndex.name}`],
    }),
  ];
}

export function vpcAccessStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AttachToVpc',
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  });
}

/**
 * One Lambda function per route of shared/routes.ts, entry `functions/<handler>.ts`, with the
 * route's memory and timeout, its own log group and its own role holding only what the route
 * needs (see routePolicy.dataNeeds).
 */
export class ApiFunctions extends Construct {
  readonly functions: RouteFunction[] = [];
  /** What the shared runtime (shared/runtime/awsDependencies.ts) reads at start, for any function. */
  readonly runtimeEnvironment: Record<string, string>;

  constructor(scope: Construct, id: string, props: ApiFunctionsProps) {
    super(scope, id);
    const { config, database, network } = props;
    const inVpc = config.dataAccess === 'proxy';

    const commonEnv: Record<string, string> = {
      RFH_ENV: config.name,
      RFH_CORS_ORIGINS: config.corsOrigins.join(','),
      SESSIONS_TABLE: props.table.tableName,
      JWT_SECRET_ARN: props.jwtSecret.secretArn,
      DATABASE_NAME,
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (inVpc) {
      const proxy = database.proxy!;
      Object.assign(commonEnv, {
        DATABASE_DRIVER: 'pg',
        DATABASE_HOST: proxy.endpoint,
        DATABASE_PORT: String(POSTGRES_PORT),
        DATABASE_USER: APP_USER,
        DATABASE_IAM_AUTH: 'true',
        ...(database.readOnlyHost ? { DATABASE_READ_HOST: database.readOnlyHost } : {}),
      });
    } else {
      Object.assign(commonEnv, {
        DATABASE_DRIVER: 'data-api',
        DATABASE_CLUSTER_ARN: database.cluster.clusterArn,
        DATABASE_SECRET_ARN: database.appUserSecret.secretArn,
      });
    }

    // Every function gets the bucket's name (the shared runtime builds its blob store at start);
    // only the routes that need archives get rights on them.
    this.runtimeEnvironment = { ...commonEnv, BLOBS_BUCKET: props.bucket.bucketName, BLOBS_PREFIX };

    for (const route of props.routes) {
      const fid = functionId(route);
      const needs = dataNeeds(route);
      const { logGroup, role } = functionLogsAndRole(this, fid, config, `Runs ${routeKey(route)} (functions/${route.handler}.ts)`);
      if (inVpc) role.addToPrincipalPolicy(vpcAccessStatement());

      for (const statement of sessionsTableStatements(props.table)) role.addToPrincipalPolicy(statement);
      // The JWT key: read, this one secret.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'JwtSigningKey',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [props.jwtSecret.secretArn],
        }),
      );

      // CloudFront's origin secret: read, this one secret (API functions only: the queue consumer
      // serves no HTTP).
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'CdnOriginSecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [props.originSecret.secretArn],
        }),
      );

      const environment: Record<string, string> = { ...this.runtimeEnvironment, ORIGIN_SECRET_ARN: props.originSecret.secretArn };
      if (needs.bucket !== 'none') {
        // s3:ListBucket on the bucket: HeadBucket (the health probe) needs it, and with it S3 answers
        // HeadObject on a missing archive 404 instead of 403 (S3BlobStore.exists relies on that). It
        // reveals key names only: SHA-256 hashes of archives the API serves publicly anyway.
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ sid: 'ArchivesList', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }),
        );
      }
      if (needs.bucket === 'read' || needs.bucket === 'read-write') {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'Archives',
            actions: [...BUCKET_OBJECT_ACTIONS[needs.bucket]],
            resources: [props.bucket.arnForObjects(`${BLOBS_PREFIX}*`)],
          }),
        );
      }
      if (needs.bucket === 'read-write') {
        // Publishing stages the archive, copies it to its content address, then deletes the copy.
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'ArchiveStaging',
            actions: [...STAGING_OBJECT_ACTIONS],
            resources: [props.bucket.arnForObjects(`${STAGING_PREFIX}*`)],
          }),
        );
      }

      if (inVpc) {
        database.proxy!.grantConnect(role, APP_USER);
      } else {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'DataApi',
            actions: [
              'rds-data:ExecuteStatement',
              'rds-data:BatchExecuteStatement',
              'rds-data:BeginTransaction',
              'rds-data:CommitTransaction',
              'rds-data:RollbackTransaction',
            ],
            resources: [database.cluster.clusterArn],
          }),
        );
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'DataApiSecret',
            actions: ['secretsmanager:GetSecretValue'],
            resources: [database.appUserSecret.secretArn],
          }),
        );
      }

      const fn = new NodejsFunction(this, fid, {
        description: `${routeKey(route)}: ${route.summary}`.slice(0, 256),
        entry: join(PROJECT_ROOT, 'functions', `${route.handler}.ts`),
        handler: 'handler',
        projectRoot: PROJECT_ROOT,
        depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
        runtime: LAMBDA_RUNTIME,
        architecture: LAMBDA_ARCHITECTURE,
        memorySize: route.memoryMb,
        timeout: Duration.seconds(route.timeoutSeconds),
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
        systemLogLevelV2: lambda.SystemLogLevel.WARN,
        environment,
        // Only the adapters the route uses (and the stack's database driver) enter the bundle.
        bundling: bundlingOptions({ uses: route.uses ?? [], dataAccess: config.dataAccess }),
        ...(inVpc ? { vpc: network.vpc, vpcSubnets: network.subnets, securityGroups: [network.functionsSg] } : {}),
      });
      // The role's policy must exist before the function can start with it.
      fn.node.addDependency(role);
      this.functions.push({ route, fn, role, logGroup });
    }
  }
}
