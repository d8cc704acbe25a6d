import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoLoginThrottle } from '../../shared/adapters/dynamodb/DynamoLoginThrottle.js';
import { DynamoSessionStore } from '../../shared/adapters/dynamodb/DynamoSessionStore.js';
import { StoreUnavailableError } from '../../shared/errors.js';
import { SessionCollisionError } from '../../shared/ports/SessionStore.js';

// What the adapter asks of DynamoDB, request by request (aws-sdk-client-mock).
const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1' });
const store = new DynamoSessionStore(client, 'tbl');

beforeEach(() => ddb.reset());

const session = { tokenHash: 'h', userId: 5, username: 'u', role: 'user' as const, issuedAt: 1, expiresAt: 10_500 };

describe('DynamoSessionStore requests', () => {
  it('creates sessions with a conditional put keyed by the token hash, TTL in seconds', async () => {
    ddb.on(PutItemCommand).resolves({});
    await store.create(session);
    const input = ddb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('attribute_not_exists(pk)');
    // Numbers as N (the GSI key user_id and the TTL attribute must be numbers).
    expect(input.Item).toEqual({
      pk: { S: 'session#h' },
      user_id: { N: '5' },
      username: { S: 'u' },
      role: { S: 'user' },
      issued_at: { N: '1' },
      expires_at: { N: '11' },
    });
  });

  it('reports a lost conditional put as a collision, not an error', async () => {
    ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
    await expect(store.create(session)).rejects.toBeInstanceOf(SessionCollisionError);
  });

  it('reports throttling as the store being unavailable', async () => {
    ddb.on(PutItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(store.create(session)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('authenticates with one consistent BatchGet of session and user state', async () => {
    ddb.on(BatchGetItemCommand).resolves({
      Responses: {
        tbl: [
          marshall({ pk: 'session#h', user_id: 5, username: 'u', role: 'user', issued_at: 100, expires_at: 20 }),
          marshall({ pk: 'user#5', auth_version: 2, role: 'admin', active: true, revoked_before: 50 }),
        ],
      },
    });
    const r = await store.lookup('h', 5);
    expect(ddb.calls()).toHaveLength(1);
    const input = ddb.commandCalls(BatchGetItemCommand)[0]!.args[0].input;
    expect(input.RequestItems!.tbl).toEqual({ Keys: [{ pk: { S: 'session#h' } }, { pk: { S: 'user#5' } }], ConsistentRead: true });
    expect(r.session).toMatchObject({ userId: 5, issuedAt: 100, expiresAt: 20_000 });
    expect(r.state).toEqual({ userId: 5, authVersion: 2, role: 'admin', active: true, revokedBefore: 50 });
  });

  it('guards user-state updates with the version condition and swallows stale ones', async () => {
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
    await store.applyUserState({ userId: 5, authVersion: 3, role: 'user', active: false }, 99);
    const input = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('attribute_not_exists(#v) OR #v < :v');
    expect(unmarshall(input.ExpressionAttributeValues!)).toMatchObject({ ':v': 3, ':a': false, ':rb': 99 });
  });
});

describe('DynamoLoginThrottle requests', () => {
  it('counts with an atomic ADD, never a read-modify-write', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: { failures: { N: '4' } } });
    const t = new DynamoLoginThrottle(client, 'tbl', 900, () => 1_000_000);
    expect(await t.recordFailure('bob')).toEqual({ failures: 4, windowEndsAt: 1_800_000 });
    const input = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toMatch(/^ADD failures :one/);
    expect(input.Key).toEqual({ pk: { S: 'throttle#login#bob#900000' } });
    expect(ddb.calls()).toHaveLength(1);
  });
});
