import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoLoginThrottle } from '../adapters/dynamodb/DynamoLoginThrottle.js';
import { DynamoSessionStore } from '../adapters/dynamodb/DynamoSessionStore.js';
import { jwtSecretFromEnv, originSecretFromEnv } from './awsSecrets.js';
import { PgPackageRepo } from '../adapters/postgres/PgPackageRepo.js';
import { PgRegistryRepo } from '../adapters/postgres/PgRegistryRepo.js';
import { DynamoApiTokenStore } from '../adapters/dynamodb/DynamoApiTokenStore.js';
import { PgUserRepo } from '../adapters/postgres/PgUserRepo.js';
import type { PasswordHasher } from '../auth/PasswordHasher.js';
import { fixedSecret, type RotatingSecret } from '../auth/rotatingSecret.js';
import { TokenService } from '../auth/TokenService.js';
import { configFromEnv } from '../config.js';
import type { BlobReader, BlobStore } from '../ports/BlobStore.js';
import type { Database } from '../ports/Database.js';
import { GuardedBlobReader, GuardedBlobStore } from '../resilience/GuardedBlobStore.js';
import { GuardedDatabase } from '../resilience/GuardedDatabase.js';
import { guardSdkClient } from '../resilience/guardSdkClient.js';
import { boundedRequestHandler } from '../resilience/sdkTimeouts.js';
import { createStoreGuards } from '../resilience/storeGuards.js';
import { SqsSideEffectQueue } from '../adapters/sqs/SqsSideEffectQueue.js';
import type { SideEffectQueue } from '../ports/SideEffectQueue.js';
import { processSideEffects } from '../sideEffects/applySideEffects.js';
import { PgRevocationOutbox } from '../adapters/postgres/PgRevocationOutbox.js';
import { InProcessSideEffectQueue } from '../sideEffects/InProcessSideEffectQueue.js';
import type { Dependencies } from './Dependencies.js';
import { absentPort, PORTS, type Port } from './ports.js';

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
 * Assembles the use cases' dependencies from the raw stores the caller built, putting each store
 * behind its guard (bulkhead, circuit breaker, retries): every store call of every use case is
 * guarded, whichever runtime built the stores.
 */
export function assembleDependencies(opts: {
  /** Without it, the postgres port is absent (a function whose route does not use it). */
  db?: Database;
  /** Archives to read; without it, the blobs port is absent. */
  blobs?: BlobReader;
  /** The archive store with its writes; without it, the blobWrites port is absent. */
  blobWrites?: BlobStore;
  /** Without it, the passwords port is absent. */
  passwords?: PasswordHasher;
  dynamoClient: DynamoDBClient;
  sessionsTable: string;
  /** The JWT signing key: a fixed value, or Secrets Manager's rotating one. */
  jwtSecret: string | RotatingSecret;
  /** The CDN's origin secret, where requests must come through the CDN. */
  originSecret?: string | RotatingSecret;
  /** Where side effects go; default: applied in-process in batches. */
  sideEffects?: SideEffectQueue;
  env?: NodeJS.ProcessEnv;
}): Dependencies {
  const config = configFromEnv(opts.env);
  const guards = createStoreGuards();
  const db = opts.db ? new GuardedDatabase(opts.db, guards.postgres) : undefined;
  const dynamo = guardSdkClient(opts.dynamoClient, guards.dynamodb);
  const deps: Dependencies = {
    config,
    ...(opts.originSecret ? { originSecret: typeof opts.originSecret === 'string' ? fixedSecret(opts.originSecret) : opts.originSecret } : {}),
    guards,
    db: db ?? absentPort('postgres'),
    users: db ? new PgUserRepo(db) : absentPort('postgres'),
    packages: db ? new PgPackageRepo(db) : absentPort('postgres'),
    registries: db ? new PgRegistryRepo(db) : absentPort('postgres'),
    revocations: db ? new PgRevocationOutbox(db) : absentPort('postgres'),
    apiTokens: new DynamoApiTokenStore(dynamo, opts.sessionsTable),
    blobs: opts.blobs ? new GuardedBlobReader(opts.blobs, guards.blobs) : absentPort('blobs'),
    blobWrites: opts.blobWrites ? new GuardedBlobStore(opts.blobWrites, guards.blobs) : absentPort('blobWrites'),
    sessions: new DynamoSessionStore(dynamo, opts.sessionsTable),
    loginThrottle: new DynamoLoginThrottle(dynamo, opts.sessionsTable, config.loginThrottle.windowSeconds),
    tokens: new TokenService(opts.jwtSecret, config.sessionTtlSeconds),
    passwords: opts.passwords ?? absentPort('passwords'),
    sideEffects: opts.sideEffects ?? new InProcessSideEffectQueue({ apply: (batch) => processSideEffects(deps, batch) }),
  };
  return deps;
}

/**
 * The database of a Lambda function: behind RDS Proxy with IAM-token passwords and verified TLS
 * (DATABASE_IAM_AUTH=true), at DATABASE_URL, or through the RDS Data API (DATABASE_DRIVER=data-api,
 * no VPC). Each driver is imported only when used; the stack's bundling also fixes DATABASE_DRIVER,
 * so a bundle carries one of them.
 */
async function awsDatabase(env: NodeJS.ProcessEnv): Promise<Database> {
  // RFH_BUNDLE_DATABASE_DRIVER is fixed at bundling (the stack's data access): the other driver's
  // branch is dropped from the bundle.
  if (process.env.RFH_BUNDLE_DATABASE_DRIVER !== 'pg' && (process.env.RFH_BUNDLE_DATABASE_DRIVER === 'data-api' || env.DATABASE_DRIVER === 'data-api')) {
    const { DataApiDatabase } = await import('../adapters/postgres/DataApiDatabase.js');
    return new DataApiDatabase({
      resourceArn: required(env, 'DATABASE_CLUSTER_ARN'),
      secretArn: required(env, 'DATABASE_SECRET_ARN'),
      database: required(env, 'DATABASE_NAME'),
    });
  }
  if (process.env.RFH_BUNDLE_DATABASE_DRIVER !== 'data-api') {
    const [{ PgDatabase }, { rdsIamAuthFromEnv }] = await Promise.all([
      import('../adapters/postgres/PgDatabase.js'),
      import('../adapters/postgres/rdsIamAuth.js'),
    ]);
    const iam = rdsIamAuthFromEnv(env);
    return iam
      ? new PgDatabase({ connection: iam, maxConnections: 2 })
      : new PgDatabase({ connectionString: required(env, 'DATABASE_URL'), maxConnections: 2 });
  }
  throw new Error('This function was bundled with the RDS Data API driver only (DATABASE_DRIVER=data-api)');
}

/**
 * The Lambda runtime's dependencies, from environment variables set by the CDK stack, with only
 * the ports the function's route uses. Each optional adapter sits behind a test of
 * `process.env.RFH_BUNDLE_<PORT>`, which the stack's bundling sets to "without" for a port the
 * route does not use: esbuild then drops the branch and the adapter's code (the S3 client, the
 * database driver, argon2) never enters that function's bundle. Reading archives (`blobs`) takes
 * the light S3BlobReader; only a route that writes them (`blobWrites`) gets the S3 client.
 */
export async function createAwsDependencies(uses: readonly Port[] = PORTS, env: NodeJS.ProcessEnv = process.env): Promise<Dependencies> {
  const [db, blobs, blobWrites, passwords] = await Promise.all([
    process.env.RFH_BUNDLE_POSTGRES !== 'without' && uses.includes('postgres') ? awsDatabase(env) : undefined,
    process.env.RFH_BUNDLE_BLOBS !== 'without' && uses.includes('blobs')
      ? import('../adapters/s3/S3BlobReader.js').then(({ createS3BlobReader }) => createS3BlobReader(env))
      : undefined,
    process.env.RFH_BUNDLE_BLOBWRITES !== 'without' && uses.includes('blobWrites')
      ? import('../adapters/s3/S3BlobStore.js').then(
          ({ S3BlobStore, createS3Client }) => new S3BlobStore(createS3Client(env), required(env, 'BLOBS_BUCKET'), { prefix: env.BLOBS_PREFIX }),
        )
      : undefined,
    process.env.RFH_BUNDLE_PASSWORDS !== 'without' && uses.includes('passwords')
      ? import('../auth/PasswordHasher.js').then(({ Argon2PasswordHasher }) => new Argon2PasswordHasher())
      : undefined,
  ]);
  return assembleDependencies({
    db,
    blobs,
    blobWrites,
    passwords,
    dynamoClient: createDynamoClient(env),
    sessionsTable: required(env, 'SESSIONS_TABLE'),
    // JWT_SECRET_ARN in AWS (read again after a maximum age, so rotations need no redeploy),
    // JWT_SECRET where there is no secret store.
    jwtSecret: jwtSecretFromEnv(env, configFromEnv(env).sessionTtlSeconds),
    originSecret: originSecretFromEnv(env),
    sideEffects: env.SIDE_EFFECTS_QUEUE_URL
      ? // The SQS client is loaded at the first hand-off with something to send: reads that
        // queue nothing (anonymous package reads) never load it.
        new SqsSideEffectQueue(
          () => import('../adapters/sqs/createSqsClient.js').then(({ createSqsClient }) => createSqsClient()),
          env.SIDE_EFFECTS_QUEUE_URL,
        )
      : undefined,
    env,
  });
}
