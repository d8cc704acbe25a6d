import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllableTcpProxy } from '../../scripts/local/ControllableTcpProxy.js';
import { EmbeddedDynamo } from '../../scripts/local/EmbeddedDynamo.js';
import { createScratchDatabase } from '../../scripts/local/scratchDatabase.js';
import { packageArchive } from '../support/archives.js';
import { startEmulatedS3 } from '../support/emulatedS3.js';
import { ROOT_PASSWORD, startTestServer, type ApiReply, type TestServer } from '../support/testServer.js';

// Fault injection against the real local server: PostgreSQL (the machine's), DynamoDB (dynalite)
// and S3 (s3rver) each sit behind a TCP proxy the test controls. During an outage the API must
// answer 503 with Retry-After (never 500, never hang), write nothing half-way, and recover by
// itself once the store is back. A store that hangs (accepts connections, never answers) must be
// given up on by the store call's own timeouts, well before the route's deadline: the answer is
// then the store's 503, not the route timeout's.

const PG = process.env.DATABASE_URL;
const password = 'correct horse battery';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The 503 of a store call that failed (errorResponse.ts); the route timeout answers otherwise. */
const STORE_UNAVAILABLE = 'A data store is temporarily unavailable, please retry shortly';

describe.skipIf(!PG)('store outages (needs DATABASE_URL)', () => {
  let api: TestServer;
  let pgProxy: ControllableTcpProxy;
  let dynamoProxy: ControllableTcpProxy;
  let s3Proxy: ControllableTcpProxy;
  let dynamo: EmbeddedDynamo;
  let s3: Awaited<ReturnType<typeof startEmulatedS3>>;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let publisherToken: string;
  let userToken: string;

  beforeAll(async () => {
    scratch = (await createScratchDatabase())!;
    const direct = new URL(scratch.url);
    pgProxy = await ControllableTcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(scratch.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(pgProxy.port);
    dynamo = await EmbeddedDynamo.start();
    dynamoProxy = await ControllableTcpProxy.start({ host: '127.0.0.1', port: Number(new URL(dynamo.endpoint).port) });
    s3 = await startEmulatedS3('rfh-faults');
    s3Proxy = await ControllableTcpProxy.start({ host: '127.0.0.1', port: s3.port });
    api = await startTestServer({
      databaseUrl: viaProxy.toString(),
      env: {
        DYNAMODB_ENDPOINT: `http://127.0.0.1:${dynamoProxy.port}`,
        BLOBS_BUCKET: 'rfh-faults',
        S3_ENDPOINT: `http://127.0.0.1:${s3Proxy.port}`,
      },
    });
    const root = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
    publisherToken = (
      await api.call('POST', '/v1/auth/register', { token: root, json: { username: 'pub', email: 'pub@example.com', password, role: 'publisher' } })
    ).body.token;
    userToken = (await api.registerUser('reader')).token;
  });

  afterAll(async () => {
    await api?.close();
    await Promise.all([pgProxy?.close(), dynamoProxy?.close(), s3Proxy?.close()]);
    await dynamo?.stop();
    await s3?.stop();
    await scratch?.drop();
  });

  async function publish(name: string, version: string) {
    const form = new FormData();
    form.append('manifest', new Blob([JSON.stringify({ name, version })]), 'rulestack.json');
    form.append('archive', new Blob([new Uint8Array(await packageArchive(name, version))]), 'p.tgz');
    const res = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: form, headers: { authorization: `Bearer ${publisherToken}` } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) };
  }

  /** Runs mixed requests at `concurrency` for `ms`, recording every status and latency. */
  async function traffic(ms: number, concurrency: number) {
    const results: Array<{ at: number; status: number; ms: number; retryAfter: string | null; path: string }> = [];
    const start = Date.now();
    const requests = [
      () => api.call('GET', '/v1/packages/steady'),
      () => api.call('GET', '/v1/packages?q=steady'),
      () => api.call('GET', '/v1/auth/profile', { token: userToken }),
      () => api.call('POST', '/v1/auth/login', { json: { username: 'reader', password } }),
    ];
    let n = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() - start < ms) {
          const i = n++ % requests.length;
          const t = Date.now();
          const r = await requests[i]!();
          results.push({ at: t - start, status: r.status, ms: Date.now() - t, retryAfter: r.headers.get('retry-after'), path: String(i) });
        }
      }),
    );
    return results;
  }

  it('PostgreSQL down mid-traffic: 503 + Retry-After, no 500, no hang, recovery without restart', async () => {
    expect((await publish('steady', '1.0.0')).status).toBe(201);
    const trafficStart = Date.now();
    const run = traffic(12_000, 20);
    await sleep(2_000);
    pgProxy.setMode('refuse');
    await sleep(3_000);
    const health = await api.call('GET', '/v1/health');
    expect(health.status).toBe(503);
    expect(health.body.stores.postgres).toBe('unavailable');
    const duringPublish = await publish('during-outage', '1.0.0');
    expect(duringPublish.status).toBe(503);
    pgProxy.setMode('pass');
    const restoredAt = Date.now() - trafficStart;
    const results = await run;

    expect(results.filter((r) => r.status >= 500 && r.status !== 503)).toEqual([]);
    expect(results.every((r) => r.ms < 11_000)).toBe(true); // nothing hangs past the deadline
    const unavailable = results.filter((r) => r.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    expect(unavailable.every((r) => Number(r.retryAfter) > 0)).toBe(true);
    // Recovered within 5 s: every request started later than that succeeded.
    const late = results.filter((r) => r.at > restoredAt + 5_000);
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((r) => r.status !== 200)).toEqual([]);
    expect((await api.call('GET', '/v1/health')).status).toBe(200);
    // Nothing half-written: the refused publish left no package behind.
    expect((await api.call('GET', '/v1/packages/during-outage')).status).toBe(404);
    expect((await publish('after-outage', '1.0.0')).status).toBe(201);
  });

  /**
   * Calls the API while a store hangs: the answer must be the store's 503 (its call timed out by
   * itself), with Retry-After, within `withinMs` (well before the route's timeout, whose own 503
   * says "took too long").
   */
  async function expectStoreDeadline(call: () => Promise<ApiReply>, withinMs: number) {
    const t = Date.now();
    const r = await call();
    const ms = Date.now() - t;
    expect({ status: r.status, error: r.body?.error }).toEqual({ status: 503, error: STORE_UNAVAILABLE });
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(ms).toBeLessThan(withinMs);
  }

  /** Repeats `call` until it answers `status` (the breaker probes again 2 s after opening). */
  async function recovers(call: () => Promise<{ status: number }>, status = 200) {
    await sleep(2_500);
    let last = 0;
    for (let i = 0; i < 10 && last !== status; i++) {
      last = (await call()).status;
      if (last !== status) await sleep(500);
    }
    expect(last).toBe(status);
  }

  it('PostgreSQL hanging (blackholed): the store 503 within the deadline, never hangs', async () => {
    pgProxy.setMode('blackhole');
    try {
      // New connections never finish their handshake: connect timeout, one safe retry, 503.
      await expectStoreDeadline(() => api.call('GET', '/v1/packages/steady'), 4_500); // route: 5 s
    } finally {
      pgProxy.setMode('pass');
    }
    await recovers(() => api.call('GET', '/v1/packages/steady'));
  });

  it('PostgreSQL stalling on open connections: statements end at their deadline, then recovery', async () => {
    // Pooled connections exist and are idle: the next statement goes out on one and never returns.
    expect((await api.call('GET', '/v1/packages/steady')).status).toBe(200);
    pgProxy.setMode('stall');
    try {
      await expectStoreDeadline(() => api.call('GET', '/v1/packages/steady'), 4_500); // route: 5 s
      // A transaction (a publish) whose connection stops answering ends too, and stores nothing.
      const t = Date.now();
      const r = await publish('stalled-publish', '1.0.0');
      expect({ status: r.status, error: r.body?.error }).toEqual({ status: 503, error: STORE_UNAVAILABLE });
      expect(Date.now() - t).toBeLessThan(12_000); // route: 15 s
    } finally {
      pgProxy.setMode('pass');
    }
    await recovers(() => api.call('GET', '/v1/packages/steady'));
    expect((await api.call('GET', '/v1/packages/stalled-publish')).status).toBe(404);
  });

  it('DynamoDB hanging: authenticated calls and sign-in 503 at the store deadline, then recovery', async () => {
    expect((await api.call('GET', '/v1/auth/profile', { token: userToken })).status).toBe(200);
    dynamoProxy.setMode('stall');
    try {
      await expectStoreDeadline(() => api.call('GET', '/v1/auth/profile', { token: userToken }), 4_500); // route: 5 s
      await expectStoreDeadline(() => api.call('POST', '/v1/auth/login', { json: { username: 'reader', password } }), 8_000); // route: 10 s
      expect((await api.call('GET', '/v1/packages/steady')).status).toBe(200);
    } finally {
      dynamoProxy.setMode('pass');
    }
    await recovers(() => api.call('GET', '/v1/auth/profile', { token: userToken }));
  });

  it('S3 hanging: downloads and publishes 503 at the store deadline, nothing half-written, then recovery', async () => {
    const { sha256 } = (await api.call('GET', '/v1/packages/steady/versions/1.0.0')).body;
    expect((await fetch(`${api.url}/v1/blobs/${sha256}`, { redirect: 'manual' })).status).toBe(302);
    s3Proxy.setMode('stall');
    try {
      await expectStoreDeadline(() => api.call('GET', `/v1/blobs/${sha256}`), 8_000); // route: 10 s
      const t = Date.now();
      const r = await publish('hung-blob', '1.0.0');
      expect({ status: r.status, error: r.body?.error }).toEqual({ status: 503, error: STORE_UNAVAILABLE });
      expect(Date.now() - t).toBeLessThan(12_000); // route: 15 s
    } finally {
      s3Proxy.setMode('pass');
    }
    expect((await api.call('GET', '/v1/packages/hung-blob')).status).toBe(404);
    await recovers(() => fetch(`${api.url}/v1/blobs/${sha256}`, { redirect: 'manual' }), 302);
  });

  it('DynamoDB down: sign-in and authenticated calls 503, public reads unaffected, then recovery', async () => {
    dynamoProxy.setMode('refuse');
    try {
      const login = await api.call('POST', '/v1/auth/login', { json: { username: 'reader', password } });
      expect(login.status).toBe(503);
      expect(Number(login.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await api.call('GET', '/v1/auth/profile', { token: userToken })).status).toBe(503);
      expect((await api.call('GET', '/v1/packages/steady')).status).toBe(200);
    } finally {
      dynamoProxy.setMode('pass');
    }
    await sleep(2_500);
    let status = 0;
    for (let i = 0; i < 10 && status !== 200; i++) {
      status = (await api.call('GET', '/v1/auth/profile', { token: userToken })).status;
      if (status !== 200) await sleep(500);
    }
    expect(status).toBe(200);
  });

  it('blob writes failing: publish 503 and no version row; then the same publish succeeds', async () => {
    s3Proxy.setMode('refuse');
    try {
      const r = await publish('blobless', '1.0.0');
      expect(r.status).toBe(503);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    } finally {
      s3Proxy.setMode('pass');
    }
    expect((await api.call('GET', '/v1/packages/blobless')).status).toBe(404);
    await sleep(2_500);
    let r = await publish('blobless', '1.0.0');
    for (let i = 0; i < 5 && r.status !== 201; i++) {
      await sleep(500);
      r = await publish('blobless', '1.0.0');
    }
    expect(r.status).toBe(201);
  });

  it('after all of it: no version without its blob, no session without its user', async () => {
    const db = new pg.Client({ connectionString: scratch!.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ name: string; version: string; sha256: string }>(
        'SELECT p.name, v.version, v.sha256 FROM registry.package_versions v JOIN registry.packages p ON p.id = v.package_id',
      );
      expect(rows.length).toBeGreaterThanOrEqual(3);
      for (const row of rows) {
        const res = await fetch(`${api.url}/v1/blobs/${row.sha256}`, { redirect: 'follow' });
        expect(res.status, `${row.name}@${row.version}`).toBe(200);
        expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(row.sha256);
      }
      const users = new Set((await db.query<{ id: number }>('SELECT id FROM registry.users')).rows.map((r) => r.id));
      const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
      const { unmarshall } = await import('@aws-sdk/util-dynamodb');
      const { createDynamoClient } = await import('../../shared/runtime/awsDependencies.js');
      const raw = createDynamoClient({}, dynamo.endpoint);
      const items = await raw.send(new ScanCommand({ TableName: 'rfh-sessions' }));
      raw.destroy();
      const sessions = (items.Items ?? []).map((i) => unmarshall(i)).filter((i) => String(i.pk).startsWith('session#'));
      expect(sessions.length).toBeGreaterThan(0);
      for (const s of sessions) expect(users.has(Number(s.user_id))).toBe(true);
    } finally {
      await db.end();
    }
  });
});
