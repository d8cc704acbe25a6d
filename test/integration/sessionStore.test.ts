import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLoginThrottle } from '../../shared/adapters/dynamodb/DynamoLoginThrottle.js';
import { DynamoSessionStore } from '../../shared/adapters/dynamodb/DynamoSessionStore.js';
import { SessionCollisionError, type Session } from '../../shared/ports/SessionStore.js';
import { guardSdkClient } from '../../shared/resilience/guardSdkClient.js';
import type { StoreGuard } from '../../shared/resilience/StoreGuard.js';
import { createDynamoClient } from '../../shared/runtime/awsDependencies.js';
import { EmbeddedDynamo } from '../../scripts/local/EmbeddedDynamo.js';
import { ensureSessionsTable } from '../../scripts/local/sessionsTableBootstrap.js';

// The DynamoDB adapters against dynalite, a real DynamoDB emulator, over HTTP.
let dynamo: EmbeddedDynamo;
let raw: ReturnType<typeof createDynamoClient>;
let store: DynamoSessionStore;
const table = 'sessions-test';

beforeAll(async () => {
  dynamo = await EmbeddedDynamo.start();
  raw = createDynamoClient({}, dynamo.endpoint);
  await ensureSessionsTable(raw, table);
  await ensureSessionsTable(raw, table); // idempotent
  store = new DynamoSessionStore(raw, table);
});
afterAll(async () => {
  raw?.destroy();
  await dynamo?.stop();
});

let nextSessionId = 1;
const session = (hash: string, userId = 1, over: Partial<Session> = {}): Session => ({
  tokenHash: hash,
  sessionId: nextSessionId++,
  userId,
  username: `user${userId}`,
  role: 'user',
  issuedAt: 1_000,
  createdAt: 1_000,
  expiresAt: Date.now() + 3_600_000,
  clientAddress: '192.0.2.7',
  userAgent: 'Go-http-client/1.1',
  ...over,
});

describe('DynamoSessionStore on dynalite', () => {
  it('stores and looks up a session with its user state in one read', async () => {
    await store.create(session('a1'));
    const found = await store.lookup('a1', 1);
    expect(found.session).toMatchObject({ tokenHash: 'a1', userId: 1, username: 'user1', role: 'user', issuedAt: 1000 });
    expect(found.state).toBeNull();
    expect((await store.lookup('nope', 1)).session).toBeNull();
  });

  it('never overwrites a session: of concurrent puts of one hash exactly one lands', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.create(session('dup', 1, { username: `w${i}` }))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(SessionCollisionError);
  });

  it('applies only newer user states, whatever order they arrive in; a revocation time only moves forward', async () => {
    await store.applyUserState({ userId: 7, authVersion: 3, role: 'admin', active: true }, 5_000);
    await store.applyUserState({ userId: 7, authVersion: 2, role: 'user', active: true }, 9_000);
    const { state } = await store.lookup('none', 7);
    // The older state is not taken, but its later revocation is (a retried revocation that a
    // newer role change overtook must still end the sessions).
    expect(state).toEqual({ userId: 7, authVersion: 3, role: 'admin', active: true, revokedBefore: 9_000 });
    await store.applyUserState({ userId: 7, authVersion: 2, role: 'user', active: true }, 1_000);
    expect((await store.lookup('none', 7)).state?.revokedBefore).toBe(9_000);
    await store.applyUserState({ userId: 7, authVersion: 3, role: 'admin', active: true }, 5_000);
    expect((await store.lookup('none', 7)).state?.revokedBefore).toBe(9_000);
    await Promise.all(
      [4, 6, 5].map((v) => store.applyUserState({ userId: 7, authVersion: v, role: v === 6 ? 'publisher' : 'user', active: true })),
    );
    expect((await store.lookup('none', 7)).state).toMatchObject({ authVersion: 6, role: 'publisher', revokedBefore: 9_000 });
  });

  it('reissues a live session only', async () => {
    await store.create(session('re', 2));
    await store.reissue('re', 42_000);
    expect((await store.lookup('re', 2)).session?.issuedAt).toBe(42_000);
    await store.reissue('re', 41_000); // never backwards: a later revocation moved it further
    expect((await store.lookup('re', 2)).session?.issuedAt).toBe(42_000);
    await store.reissue('gone', 1); // no error, creates nothing
    expect((await store.lookup('gone', 2)).session).toBeNull();
  });

  it('deletes one session, or all of a user but one', async () => {
    for (const h of ['u3a', 'u3b', 'u3c']) await store.create(session(h, 3));
    await store.create(session('u4a', 4));
    await store.delete('u3a');
    expect((await store.lookup('u3a', 3)).session).toBeNull();
    expect(await store.deleteAllForUser(3, 'u3c')).toBe(1);
    expect((await store.lookup('u3b', 3)).session).toBeNull();
    expect((await store.lookup('u3c', 3)).session).not.toBeNull();
    expect((await store.lookup('u4a', 4)).session).not.toBeNull();
  });

  it("lists a user's sessions with what was recorded at login, newest first, and nobody else's", async () => {
    await store.applyUserState({ userId: 5, authVersion: 1, role: 'user', active: true }, 500);
    for (const [h, t] of [['u5a', 10], ['u5b', 30], ['u5c', 20]] as const) {
      await store.create(session(h, 5, { sessionId: 9_007_199_254_740_991 - t, createdAt: t, userAgent: `agent ${h}` }));
    }
    await store.create(session('u6a', 6));
    const { sessions, state } = await store.listForUser(5, 100);
    expect(state).toMatchObject({ userId: 5, revokedBefore: 500 });
    expect(sessions.map((s) => s.tokenHash)).toEqual(['u5b', 'u5c', 'u5a']);
    expect(sessions[0]).toMatchObject({ sessionId: 9_007_199_254_740_961, userId: 5, createdAt: 30, clientAddress: '192.0.2.7', userAgent: 'agent u5b' });
    expect((await store.listForUser(5, 2)).sessions.map((s) => s.tokenHash)).toEqual(['u5b', 'u5c']);
    expect((await store.listForUser(404, 10)).sessions).toEqual([]);
  });

  it('lists more sessions than one BatchGet holds', async () => {
    await Promise.all(Array.from({ length: 130 }, (_, i) => store.create(session(`many${i}`, 8, { createdAt: i }))));
    const { sessions } = await store.listForUser(8, 1000);
    expect(sessions).toHaveLength(130);
    expect(sessions[0]!.tokenHash).toBe('many129');
    expect(new Set(sessions.map((s) => s.sessionId)).size).toBe(130);
  });
});

describe('a guarded client', () => {
  it('resolves its middleware once per command class, yet sends each call its own input through the guard', async () => {
    const client = createDynamoClient({}, dynamo.endpoint);
    await ensureSessionsTable(client, table); // sends DescribeTable before the guard exists
    let guarded = 0;
    const guard = { store: 'dynamodb', run: <T>(fn: () => Promise<T>) => (guarded++, fn()) } as unknown as StoreGuard;
    const s = new DynamoSessionStore(guardSdkClient(client, guard), table);
    expect((client.config as { cacheMiddleware?: boolean }).cacheMiddleware).toBe(true);
    const a = session('guarded-a', 71, { username: 'ann' });
    const b = { ...a, tokenHash: 'guarded-b', userId: 72, username: 'bob' };
    await s.create(a);
    await s.create(b);
    expect((await s.lookup('guarded-a', 71)).session).toMatchObject({ userId: 71, username: 'ann' });
    expect((await s.lookup('guarded-b', 72)).session).toMatchObject({ userId: 72, username: 'bob' });
    expect((await s.lookup('guarded-a', 71)).session).toMatchObject({ userId: 71, username: 'ann' });
    await s.ping(); // DescribeTable again: its handler must not be one cached before the guard
    expect(guarded).toBe(6);
    client.destroy();
  });
});

describe('DynamoLoginThrottle on dynalite', () => {
  const limits = { maxFailures: 3, concurrencyAllowance: 2 };

  it('admits at most limit + allowance of many simultaneous attempts, and locks after limit failures', async () => {
    const now = 1_800_000_000_000;
    const throttle = new DynamoLoginThrottle(raw, table, 900, () => now);
    const all = await Promise.all(Array.from({ length: 40 }, () => throttle.admit('eve', limits)));
    const admitted = all.filter((a) => a.admitted);
    expect(admitted).toHaveLength(5);
    // Refused while the places were only in flight: come back in a moment.
    expect(all.find((a) => !a.admitted)).toEqual({ admitted: false, reason: 'concurrency', retryAfterSeconds: 1 });
    await Promise.all(admitted.map((a) => a.admitted && throttle.complete(a.slot, 'failure')));
    // Five failures now: locked until the window ends, whatever else happens.
    expect(await throttle.admit('eve', limits)).toEqual({ admitted: false, reason: 'failures', retryAfterSeconds: 900 - (now % 900_000) / 1000 });
    expect((await throttle.admit('someone-else', limits)).admitted).toBe(true);
  });

  it('a success frees its place; a failure keeps it', async () => {
    const throttle = new DynamoLoginThrottle(raw, table, 900, () => 1_800_000_000_000);
    const first = await Promise.all(Array.from({ length: 5 }, () => throttle.admit('sam', limits)));
    expect(first.every((a) => a.admitted)).toBe(true);
    expect((await throttle.admit('sam', limits)).admitted).toBe(false);
    for (const a of first) if (a.admitted) await throttle.complete(a.slot, 'released');
    // All five places are free again: five more at once, then two of them fail.
    const second = await Promise.all(Array.from({ length: 5 }, () => throttle.admit('sam', limits)));
    expect(second.every((a) => a.admitted)).toBe(true);
    for (const [i, a] of second.entries()) if (a.admitted) await throttle.complete(a.slot, i < 2 ? 'failure' : 'released');
    const third = await Promise.all(Array.from({ length: 5 }, () => throttle.admit('sam', limits)));
    expect(third.filter((a) => a.admitted)).toHaveLength(3);
  });

  it("places of attempts that never completed expire with their window; completions go to the attempt's window", async () => {
    let now = 1_800_000_000_000;
    const throttle = new DynamoLoginThrottle(raw, table, 900, () => now);
    const stuck = await Promise.all(Array.from({ length: 5 }, () => throttle.admit('crashy', limits)));
    expect((await throttle.admit('crashy', limits)).admitted).toBe(false);
    now += 900_000; // next window
    const fresh = await throttle.admit('crashy', limits);
    expect(fresh.admitted).toBe(true);
    // A late failure of an attempt from the old window counts there, not in the new one.
    const late = stuck[0]!;
    if (!late.admitted) throw new Error('the first attempt was admitted');
    await throttle.complete(late.slot, 'failure');
    const more = await Promise.all(Array.from({ length: 4 }, () => throttle.admit('crashy', limits)));
    expect(more.every((a) => a.admitted)).toBe(true);
  });

  it('a repeated update (its answer lost, retried by the SDK) takes one place and frees one', async () => {
    // A client whose next `lose` answers are lost after DynamoDB applied the request: the SDK
    // sees a timeout and sends the same request again, as it does in production.
    const flaky = createDynamoClient({}, dynamo.endpoint);
    let lose = 0;
    flaky.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        if (lose > 0) {
          lose--;
          throw Object.assign(new Error('answer lost'), { name: 'TimeoutError', $metadata: {} });
        }
        return out;
      },
      { step: 'deserialize', name: 'loseAnswer' },
    );
    const throttle = new DynamoLoginThrottle(flaky, table, 900, () => 1_800_000_000_000);
    const admitted = [];
    for (let i = 0; i < 5; i++) {
      lose = 1;
      const a = await throttle.admit('retried', limits);
      expect(lose).toBe(0); // the answer was lost and the request repeated
      expect(a.admitted).toBe(true);
      admitted.push(a);
    }
    expect((await throttle.admit('retried', limits)).admitted).toBe(false);
    // One release, repeated: exactly one place comes free.
    const first = admitted[0]!;
    if (!first.admitted) throw new Error('the first attempt was admitted');
    lose = 1;
    await throttle.complete(first.slot, 'released');
    expect((await throttle.admit('retried', limits)).admitted).toBe(true);
    expect((await throttle.admit('retried', limits)).admitted).toBe(false);
    flaky.destroy();
  });

  it('50 simultaneous attempts at the default limits are all admitted, and every place is freed', async () => {
    const throttle = new DynamoLoginThrottle(raw, table, 900, () => 1_800_000_000_000);
    const defaults = { maxFailures: 10, concurrencyAllowance: 50 };
    for (let round = 0; round < 3; round++) {
      const all = await Promise.all(Array.from({ length: 50 }, () => throttle.admit('seed', defaults)));
      expect(all.every((a) => a.admitted)).toBe(true);
      for (const a of all) if (a.admitted) await throttle.complete(a.slot, 'released');
    }
  });
});

describe('store unavailability', () => {
  it('maps an unreachable DynamoDB to StoreUnavailableError', async () => {
    const dead = createDynamoClient({}, 'http://127.0.0.1:1');
    const s = new DynamoSessionStore(dead, table);
    await expect(s.lookup('x', 1)).rejects.toMatchObject({ name: 'StoreUnavailableError', store: 'dynamodb' });
    await expect(s.ping()).rejects.toMatchObject({ name: 'StoreUnavailableError' });
    dead.destroy();
  });
});
