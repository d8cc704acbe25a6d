import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
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

const session = {
  tokenHash: 'h',
  sessionId: 9_007_199_254_740_991,
  userId: 5,
  username: 'u',
  role: 'user' as const,
  issuedAt: 1,
  createdAt: 2,
  expiresAt: 10_500,
  clientAddress: '2001:db8::1',
  userAgent: 'Go-http-client/1.1',
};

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
      session_id: { N: '9007199254740991' },
      created_at: { N: '2' },
      client_address: { S: '2001:db8::1' },
      user_agent: { S: 'Go-http-client/1.1' },
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

  it('gives a session stored before sessions were numbered a stable number from its token hash', async () => {
    ddb.on(BatchGetItemCommand).resolves({
      Responses: { tbl: [marshall({ pk: 'session#00000000000ff0123', user_id: 5, username: 'u', role: 'user', issued_at: 100, expires_at: 20 })] },
    });
    const { session: old } = await store.lookup('00000000000ff0123', 5);
    expect(old).toMatchObject({ sessionId: 0xff, createdAt: 100, clientAddress: '', userAgent: '' });
  });

  it("lists a user's sessions: a keys-only Query of the user index, then consistent BatchGets that retry unprocessed keys", async () => {
    ddb.on(QueryCommand).resolves({ Items: [marshall({ pk: 'session#a' }), marshall({ pk: 'session#b' })] });
    ddb
      .on(BatchGetItemCommand)
      .resolvesOnce({
        Responses: { tbl: [marshall({ pk: 'session#a', user_id: 5, username: 'u', role: 'user', issued_at: 1, expires_at: 20, session_id: 11, created_at: 1 })] },
        UnprocessedKeys: { tbl: { Keys: [marshall({ pk: 'session#b' })], ConsistentRead: true } },
      })
      .resolvesOnce({
        Responses: { tbl: [marshall({ pk: 'session#b', user_id: 5, username: 'u', role: 'user', issued_at: 2, expires_at: 20, session_id: 12, created_at: 2 })] },
      });
    const { sessions, state } = await store.listForUser(5, 10);
    expect(sessions.map((x) => x.sessionId)).toEqual([12, 11]);
    expect(state).toBeNull();
    const query = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query).toMatchObject({ IndexName: 'by_user', KeyConditionExpression: 'user_id = :u', ProjectionExpression: 'pk' });
    const gets = ddb.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input.RequestItems!.tbl!);
    expect(gets[0]).toEqual({ Keys: [{ pk: { S: 'user#5' } }, { pk: { S: 'session#a' } }, { pk: { S: 'session#b' } }], ConsistentRead: true });
    expect(gets[1]!.Keys).toEqual([{ pk: { S: 'session#b' } }]);
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
  const limits = { maxFailures: 10, concurrencyAllowance: 50 };

  it('admits with one conditional atomic ADD of the attempt id before the hash, never a read-modify-write', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    const t = new DynamoLoginThrottle(client, 'tbl', 900, () => 1_000_000);
    const admission = await t.admit('bob', limits);
    expect(admission).toEqual({ admitted: true, slot: { account: 'bob', windowStart: 900_000, id: expect.stringMatching(/^[\w-]{11}$/) } });
    const input = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toMatch(/^ADD held :ids/);
    expect(input.ConditionExpression).toBe(
      '(attribute_not_exists(failed) OR size(failed) < :maxFailures) AND (attribute_not_exists(held) OR size(held) < :maxHeld)',
    );
    const values = unmarshall(input.ExpressionAttributeValues!);
    expect(values).toMatchObject({ ':maxFailures': 10, ':maxHeld': 60 });
    expect(values[':ids']).toEqual(new Set([admission.admitted && admission.slot.id]));
    expect(input.Key).toEqual({ pk: { S: 'throttle#login#bob#900000' } });
    expect(ddb.calls()).toHaveLength(1);
    // Every attempt has an id of its own.
    const other = await t.admit('bob', limits);
    expect(other.admitted && other.slot.id).not.toBe(admission.admitted && admission.slot.id);
  });

  it('completes with one idempotent update in the window the attempt was admitted in', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    const t = new DynamoLoginThrottle(client, 'tbl', 900, () => 5_000_000);
    const slot = { account: 'bob', windowStart: 900_000, id: 'attempt-one' };
    await t.complete(slot, 'failure');
    await t.complete(slot, 'released');
    const [failure, released] = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(failure).toMatchObject({ UpdateExpression: 'ADD failed :ids', ConditionExpression: 'contains(held, :id)', Key: { pk: { S: 'throttle#login#bob#900000' } } });
    expect(released).toMatchObject({ UpdateExpression: 'DELETE held :ids', ConditionExpression: 'contains(held, :id)' });
    expect(unmarshall(released!.ExpressionAttributeValues!)).toEqual({ ':ids': new Set(['attempt-one']), ':id': 'attempt-one' });
    // A completion that finds its place gone is a no-op, not an error.
    ddb.reset();
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
    await expect(t.complete(slot, 'released')).resolves.toBeUndefined();
  });

  it('a refusal reads the window once: for the Retry-After, or to find its own place taken by an earlier try', async () => {
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
    const ids = (n: number, prefix: string) => new Set(Array.from({ length: n }, (_, i) => `${prefix}${i}`));
    ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'x', failed: ids(10, 'f'), held: ids(10, 'f') }) });
    const t = new DynamoLoginThrottle(client, 'tbl', 900, () => 1_000_000);
    expect(await t.admit('bob', limits)).toEqual({ admitted: false, reason: 'failures', retryAfterSeconds: 800 });
    expect(ddb.commandCalls(GetItemCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
    ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'x', failed: ids(2, 'f'), held: ids(60, 'h') }) });
    expect(await t.admit('bob', limits)).toEqual({ admitted: false, reason: 'concurrency', retryAfterSeconds: 1 });
    // The condition failed because an earlier try of this very update had taken the place.
    ddb.on(GetItemCommand).callsFake((input) => {
      const id = unmarshall(ddb.commandCalls(UpdateItemCommand).at(-1)!.args[0].input.ExpressionAttributeValues!)[':ids'];
      return { Item: marshall({ pk: input.Key.pk.S, held: new Set([...ids(59, 'h'), ...id]) }) };
    });
    expect((await t.admit('bob', limits)).admitted).toBe(true);
  });
});
