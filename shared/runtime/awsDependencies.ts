import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoLoginThrottle } from '../adapters/dynamodb/DynamoLoginThrottle.js';
import { DynamoSessionStore } from '../adapters/dynamodb/DynamoSessionStore.js';
import { PgDatabase } from '../adapters/postgres/PgDatabase.js';
import { PgPackageRepo } from '../adapters/postgres/PgPackageRepo.js';
import { PgUserRepo } from '../adapters/postgres/PgUserRepo.js';
import { createS3Client, S3BlobStore } from '../adapters/s3/S3BlobStore.js';
import { Argon2PasswordHasher } from '../auth/PasswordHasher.js';
import { TokenService } from '../auth/TokenService.js';
import { configFromEnv } from '../config.js';
import type { BlobStore } from '../ports/BlobStore.js';
import type { Database } from '../ports/Database.js';
import { BackgroundTasks } from './BackgroundTasks.js';
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
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
  });
}

export const documentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** Assembles the use cases' dependencies from stores the caller already has. */
export function assembleDependencies(opts: {
  db: Database;
  blobs: BlobStore;
  dynamo: DynamoDBDocumentClient;
  sessionsTable: string;
  jwtSecret: string;
  env?: NodeJS.ProcessEnv;
}): Dependencies {
  const config = configFromEnv(opts.env);
  return {
    config,
    db: opts.db,
    users: new PgUserRepo(opts.db),
    packages: new PgPackageRepo(opts.db),
    blobs: opts.blobs,
    sessions: new DynamoSessionStore(opts.dynamo, opts.sessionsTable),
    loginThrottle: new DynamoLoginThrottle(opts.dynamo, opts.sessionsTable, config.loginThrottle.windowSeconds),
    tokens: new TokenService(opts.jwtSecret, config.sessionTtlSeconds),
    passwords: new Argon2PasswordHasher(),
    background: new BackgroundTasks(),
  };
}

/** The Lambda runtime's dependencies, from environment variables set by the CDK stack. */
export async function createAwsDependencies(env: NodeJS.ProcessEnv = process.env): Promise<Dependencies> {
  return assembleDependencies({
    db: new PgDatabase({ connectionString: required(env, 'DATABASE_URL'), maxConnections: 2 }),
    blobs: new S3BlobStore(createS3Client(env), required(env, 'BLOBS_BUCKET')),
    dynamo: documentClient(createDynamoClient(env)),
    sessionsTable: required(env, 'SESSIONS_TABLE'),
    jwtSecret: required(env, 'JWT_SECRET'),
    env,
  });
}
