import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoLoginThrottle } from '../adapters/dynamodb/DynamoLoginThrottle.js';
import { DynamoSessionStore } from '../adapters/dynamodb/DynamoSessionStore.js';
import { PgDatabase } from '../adapters/postgres/PgDatabase.js';
import { rdsIamAuthFromEnv } from '../adapters/postgres/rdsIamAuth.js';
import { jwtSecretFromEnv, originSecretFromEnv } from './awsSecrets.js';
import { PgPackageRepo } from '../adapters/postgres/PgPackageRepo.js';
import { PgRegistryRepo } from '../adapters/postgres/PgRegistryRepo.js';
import { DynamoApiTokenStore } from '../adapters/dynamodb/DynamoApiTokenStore.js';
import { PgUserRepo } from '../adapters/postgres/PgUserRepo.js';
import { createS3Client, S3BlobStore } from '../adapters/s3/S3BlobStore.js';
import { Argon2PasswordHasher } from '../auth/PasswordHasher.js';
import { TokenService } from '../auth/TokenService.js';
import { configFromEnv } from '../config.js';
import type { BlobStore } from '../ports/BlobStore.js';
import type { Database } from '../ports/Database.js';
import { GuardedBlobStore } from '../resilience/GuardedBlobStore.js';
import { GuardedDatabase } from '../resilience/GuardedDatabase.js';
import { guardSdkClient } from '../resilience/guardSdkClient.js';
import { boundedRequestHandler } from '../resilience/sdkTimeouts.js';
import { createStoreGuards } from '../resilience/storeGuards.js';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsSideEffectQueue } from '../adapters/sqs/SqsSideEffectQueue.js';
import type { SideEffectQueue } from '../ports/SideEffectQueue.js';
import { processSideEffects } from '../sideEffects/applySideEffects.js';
import { PgRevocationOutbox } from '../adapters/postgres/PgRevocationOutbox.js';
import { InProcessSideEffectQueue } from '../sideEffects/InProcessSideEffectQueue.js';
import type { Dependencies } from './Dependencies.js';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`Missing required environment variable ${name}`);
  return v;
}

/**
 * A DynamoDB client with bounded timeouts. With an endpoint (an emulator), region and
 * credentials default to dummies, since emulators do not check them.
 */
export function createDynamoClient(env: NodeJS.ProcessEnv, endpoint = env.DYNAMODB_ENDPOINT): DynamoDBClient {
  return new DynamoDBClient({
    ...(endpoint
      ? {
          endpoint,
          region: env.AWS_REGION ?? 'local',
          credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'local' },
        }
      : {}),
    // Two attempts of at most 1.5 s each (enforced: boundedRequestHandler): well inside every
    // route's deadline, also for the authentication that runs before the route's own timeout.
    maxAttempts: 2,
    requestHandler: boundedRequestHandler({ connectTimeoutMs: 1000, requestTimeoutMs: 1500 }),
  });
}

/**
 * The side-effect queue's SQS client: two attempts of at most 1.5 s each (enforced), since the
 * hand-off runs at the end of a request. `endpoint` for tests.
 */
export function createSqsClient(options: { endpoint?: string } = {}): SQSClient {
  return new SQSClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 2,
    requestHandler: boundedRequestHandler({ connectTimeoutMs: 1000, requestTimeoutMs: 1500 }),
  });
}

/**
 * Assembles the use cases' dependencies from the raw stores the caller built, putting each store
 * behind its guard (bulkhead, circuit breaker, retries): every store call of every use case is
 * guarded, whichever runtime built the stores.
 */
export function assembleDependencies(opts: {
  db: Database;
  blobs: BlobStore;
  dynamoClient: DynamoDBClient;
  sessionsTable: string;
  jwtSecret: string;
  /** The CDN's origin secret, where requests must come through the CDN. */
  originSecret?: string;
  /** Where side effects go; default: applied in-process in batches. */
  sideEffects?: SideEffectQueue;
  env?: NodeJS.ProcessEnv;
}): Dependencies {
  const config = configFromEnv(opts.env);
  const guards = createStoreGuards();
  const db = new GuardedDatabase(opts.db, guards.postgres);
  const dynamo = guardSdkClient(opts.dynamoClient, guards.dynamodb);
  const deps: Dependencies = {
    config,
    ...(opts.originSecret ? { originSecret: opts.originSecret } : {}),
    guards,
    db,
    users: new PgUserRepo(db),
    packages: new PgPackageRepo(db),
    registries: new PgRegistryRepo(db, config.registryCapPerUser),
    revocations: new PgRevocationOutbox(db),
    apiTokens: new DynamoApiTokenStore(dynamo, opts.sessionsTable),
    blobs: new GuardedBlobStore(opts.blobs, guards.blobs),
    sessions: new DynamoSessionStore(dynamo, opts.sessionsTable),
    loginThrottle: new DynamoLoginThrottle(dynamo, opts.sessionsTable, config.loginThrottle.windowSeconds),
    tokens: new TokenService(opts.jwtSecret, config.sessionTtlSeconds),
    passwords: new Argon2PasswordHasher(),
    sideEffects: opts.sideEffects ?? new InProcessSideEffectQueue({ apply: (batch) => processSideEffects(deps, batch) }),
  };
  return deps;
}

/** The Lambda runtime's dependencies, from environment variables set by the CDK stack. */
export async function createAwsDependencies(env: NodeJS.ProcessEnv = process.env): Promise<Dependencies> {
  // Behind RDS Proxy: IAM-token passwords and verified TLS (DATABASE_IAM_AUTH=true); else a URL.
  // DATABASE_DRIVER=data-api: the RDS Data API over HTTPS, no VPC (loaded only in that mode).
  const iam = rdsIamAuthFromEnv(env);
  return assembleDependencies({
    db:
      env.DATABASE_DRIVER === 'data-api'
        ? new (await import('../adapters/postgres/DataApiDatabase.js')).DataApiDatabase({
            resourceArn: required(env, 'DATABASE_CLUSTER_ARN'),
            secretArn: required(env, 'DATABASE_SECRET_ARN'),
            database: required(env, 'DATABASE_NAME'),
          })
        : iam
          ? new PgDatabase({ connection: iam, maxConnections: 2 })
          : new PgDatabase({ connectionString: required(env, 'DATABASE_URL'), maxConnections: 2 }),
    blobs: new S3BlobStore(createS3Client(env), required(env, 'BLOBS_BUCKET'), { prefix: env.BLOBS_PREFIX }),
    dynamoClient: createDynamoClient(env),
    sessionsTable: required(env, 'SESSIONS_TABLE'),
    // JWT_SECRET_ARN in AWS (read once per container), JWT_SECRET where there is no secret store.
    jwtSecret: await jwtSecretFromEnv(env),
    originSecret: await originSecretFromEnv(env),
    sideEffects: env.SIDE_EFFECTS_QUEUE_URL
      ? new SqsSideEffectQueue(createSqsClient(), env.SIDE_EFFECTS_QUEUE_URL)
      : undefined,
    env,
  });
}
