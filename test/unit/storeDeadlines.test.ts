import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ExecuteStatementCommand } from '@aws-sdk/client-rds-data';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toDynamoStoreError } from '../../shared/adapters/dynamodb/dynamoErrors.js';
import { createDataApiClient, toDataApiError } from '../../shared/adapters/postgres/DataApiDatabase.js';
import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { createS3Client, toS3StoreError } from '../../shared/adapters/s3/S3BlobStore.js';
import { StoreUnavailableError } from '../../shared/errors.js';
import { GuardedDatabase } from '../../shared/resilience/GuardedDatabase.js';
import { newScope, runInRequestScope } from '../../shared/resilience/requestScope.js';
import { createStoreGuards } from '../../shared/resilience/storeGuards.js';
import { createSqsClient } from '../../shared/adapters/sqs/createSqsClient.js';
import { createDynamoClient } from '../../shared/runtime/awsDependencies.js';
import { createSecretsClient } from '../../shared/runtime/awsSecrets.js';
import { startHangingServer } from '../faults/hangingServer.js';

// A store that accepts connections and never answers must end each call at its deadline: every
// AWS SDK client's request timeout is enforced (not only logged), and node-postgres gives up on
// a silent server, so that the API answers the store's 503 before the route's own timeout.

/** Settles `promise`, or fails the test if it is still pending after `ms` (it would hang). */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<{ error: unknown; elapsedMs: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  const outcome = await Promise.race([promise.then(
    () => ({ error: undefined }),
    (error: unknown) => ({ error }),
  ), pending]);
  clearTimeout(timer);
  if (outcome === 'pending') throw new Error(`still waiting for the hanging store after ${ms} ms`);
  return { ...outcome, elapsedMs: Date.now() - started };
}

const isTimeout = (err: unknown) => (err as { name?: unknown } | undefined)?.name === 'TimeoutError';

describe.concurrent('a hanging store ends each call at its deadline', () => {
  let silent: Awaited<ReturnType<typeof startHangingServer>>;
  let postgres: Awaited<ReturnType<typeof startHangingServer>>;

  beforeAll(async () => {
    // The SDK's credential and region providers read these when a command is sent.
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    silent = await startHangingServer();
    postgres = await startHangingServer({ postgresHandshake: true });
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all([silent?.close(), postgres?.close()]);
  });

  it('DynamoDB: two attempts of 1.5 s, then "unavailable"', async () => {
    const client = createDynamoClient({}, silent.url);
    try {
      const { error, elapsedMs } = await settlesWithin(client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'k' } } })), 4_500);
      expect(isTimeout(error)).toBe(true);
      expect(toDynamoStoreError(error)).toBeInstanceOf(StoreUnavailableError);
      expect(elapsedMs).toBeGreaterThanOrEqual(2_900);
    } finally {
      client.destroy();
    }
  });

  it('S3: three attempts of 2 s, then "unavailable"', async () => {
    const client = createS3Client({ S3_ENDPOINT: silent.url });
    try {
      const { error, elapsedMs } = await settlesWithin(client.send(new HeadBucketCommand({ Bucket: 'b' })), 7_500);
      expect(isTimeout(error)).toBe(true);
      expect(toS3StoreError(error)).toBeInstanceOf(StoreUnavailableError);
      expect(elapsedMs).toBeGreaterThanOrEqual(5_900);
    } finally {
      client.destroy();
    }
  });

  it('RDS Data API: one attempt of 3.5 s (a statement is never sent twice), then "unavailable"', async () => {
    const client = createDataApiClient({ region: 'us-east-1', endpoint: silent.url });
    try {
      const { error } = await settlesWithin(
        client.send(new ExecuteStatementCommand({ resourceArn: 'arn:c', secretArn: 'arn:s', sql: 'SELECT 1' })),
        4_500,
      );
      expect(isTimeout(error)).toBe(true);
      expect(toDataApiError(error)).toBeInstanceOf(StoreUnavailableError);
    } finally {
      client.destroy();
    }
  });

  it('Secrets Manager: two attempts of 1.5 s', async () => {
    const client = createSecretsClient({ SECRETS_MANAGER_ENDPOINT: silent.url });
    try {
      const { error } = await settlesWithin(client.send(new GetSecretValueCommand({ SecretId: 's' })), 4_500);
      expect(isTimeout(error)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('SQS: two attempts of 1.5 s', async () => {
    const client = createSqsClient({ endpoint: silent.url });
    try {
      const { error } = await settlesWithin(client.send(new SendMessageCommand({ QueueUrl: `${silent.url}/1/q`, MessageBody: '{}' })), 4_500);
      expect(isTimeout(error)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('PostgreSQL never finishing the handshake: the connect timeout, "unavailable", within the deadline', async () => {
    const db = new PgDatabase({ connectionString: `postgres://u@127.0.0.1:${silent.port}/db` });
    const guarded = new GuardedDatabase(db, createStoreGuards().postgres);
    try {
      // A 5 s route's deadline (4.7 s): even a repeated connect attempt must fit in it.
      const scope = newScope(Date.now() + 4_700, 3);
      const { error } = await settlesWithin(runInRequestScope(scope, () => guarded.query('SELECT 1')), 4_500);
      expect(error).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await db.close();
    }
  });

  it('PostgreSQL silent on an open connection: the statement ends at 3.5 s, "unavailable"', async () => {
    const db = new PgDatabase({ connectionString: `postgres://u@127.0.0.1:${postgres.port}/db` });
    try {
      const { error, elapsedMs } = await settlesWithin(db.query('SELECT 1'), 4_500);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(elapsedMs).toBeGreaterThanOrEqual(3_400);
    } finally {
      await db.close();
    }
  });

  it('PostgreSQL silent in a transaction: ends at the statement deadline, without waiting on a ROLLBACK', async () => {
    const db = new PgDatabase({ connectionString: `postgres://u@127.0.0.1:${postgres.port}/db` });
    try {
      const { error } = await settlesWithin(db.transaction((tx) => tx.query('SELECT 1')), 4_500);
      expect(error).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await db.close();
    }
  });
});
