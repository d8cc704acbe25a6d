import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../shared/observability/telemetry.js';
import { packageArchive } from '../support/archives.js';
import { ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

// One log line per request, with the store round trips it cost: the budgets of docs/ARCHITECTURE.md,
// measured on the real local server.

let api: TestServer;
let root: string;
const lines: Array<Record<string, any>> = [];
const password = 'correct horse battery';

beforeAll(async () => {
  api = await startTestServer();
  vi.spyOn(logger, 'info').mockImplementation((message: unknown, ...rest: unknown[]) => {
    if (message === 'request') lines.push(rest[0] as Record<string, any>);
  });
  root = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
});
afterAll(async () => {
  vi.restoreAllMocks();
  await api?.close();
});

/** Makes one request and returns its log line. */
async function costOf(method: string, path: string, opts: Parameters<TestServer['call']>[2] = {}) {
  lines.length = 0;
  const r = await api.call(method, path, opts);
  expect(lines, `${method} ${path}`).toHaveLength(1);
  return { status: r.status, line: lines[0]!, reply: r };
}

describe('round trips per request', () => {
  it('an authenticated request that needs no SQL: one DynamoDB read, no SQL, no write', async () => {
    const { status, line } = await costOf('GET', '/v1/metrics', { token: root });
    expect(status).toBe(200);
    expect(line.storeCalls).toEqual({ postgres: 0, dynamodb: 1, blobs: 0 });
  });

  it('login: one SQL read, the attempt counted before the hash, the session put (with its release beside it)', async () => {
    await api.registerUser('budget-user', password);
    // The conditional update that counts the attempt, the SQL read, then the session's conditional
    // put and the update that frees the attempt's place, at the same time.
    const { status, line } = await costOf('POST', '/v1/auth/login', { json: { username: 'budget-user', password } });
    expect(status).toBe(200);
    expect(line.storeCalls).toEqual({ postgres: 1, dynamodb: 3, blobs: 0 });
    // A failure: the counting update, and the one that keeps its place as a failure.
    const failed = await costOf('POST', '/v1/auth/login', { json: { username: 'budget-user', password: 'wrong password' } });
    expect(failed.status).toBe(401);
    expect(failed.line.storeCalls).toEqual({ postgres: 1, dynamodb: 2, blobs: 0 });
    // An unknown user costs exactly the same.
    const unknown = await costOf('POST', '/v1/auth/login', { json: { username: 'budget-nobody', password: 'wrong password' } });
    expect(unknown.status).toBe(401);
    expect(unknown.line.storeCalls).toEqual(failed.line.storeCalls);
  });

  it('package, version and search reads: one SQL query each, nothing else', async () => {
    const pub = (await api.call('POST', '/v1/auth/register', {
      token: root,
      json: { username: 'budget-pub', email: 'bp@example.com', password, role: 'publisher' },
    })).body.token;
    const form = new FormData();
    form.append('manifest', new Blob([JSON.stringify({ name: 'budget-pkg', version: '1.0.0' })]), 'rulestack.json');
    form.append('archive', new Blob([new Uint8Array(await packageArchive('budget-pkg', '1.0.0'))]), 'p.tgz');
    lines.length = 0;
    const published = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: form, headers: { authorization: `Bearer ${pub}` } });
    expect(published.status).toBe(201);
    // Publish: auth read; the rights check (one SQL read) before anything is stored; the archive
    // staged (one blob call); one SQL transaction that promotes it before its commit (one blob
    // call); the staged copy removed (one blob call).
    expect(lines[0]!.storeCalls).toEqual({ postgres: 2, dynamodb: 1, blobs: 3 });
    for (const path of ['/v1/packages/budget-pkg', '/v1/packages/budget-pkg/versions/1.0.0', '/v1/packages?q=budget']) {
      const { status, line } = await costOf('GET', path);
      expect(status, path).toBe(200);
      expect(line.storeCalls, path).toEqual({ postgres: 1, dynamodb: 0, blobs: 0 });
    }
  });

  it('logs route, status, latency, user and request id, and never a secret', async () => {
    const { token } = await api.registerUser('log-user', password);
    const { line } = await costOf('POST', '/v1/auth/change-password', {
      token,
      json: { current_password: password, new_password: 'another long secret' },
    });
    expect(line).toMatchObject({ route: 'POST /v1/auth/change-password', status: 200, userId: expect.any(Number), requestId: expect.any(String) });
    expect(line.latencyMs).toBeGreaterThan(0);
    const text = JSON.stringify(line);
    expect(text).not.toContain(token);
    expect(text).not.toContain(password);
    expect(text).not.toContain('another long secret');
  });
});

describe('GET /v1/metrics', () => {
  it('is for admins only and reports per-route percentiles and store figures', async () => {
    const { token } = await api.registerUser('metrics-user', password);
    expect((await api.call('GET', '/v1/metrics')).status).toBe(401);
    expect((await api.call('GET', '/v1/metrics', { token })).status).toBe(403);
    const r = await api.call('GET', '/v1/metrics', { token: root });
    expect(r.status).toBe(200);
    const login = r.body.routes['POST /v1/auth/login'];
    expect(login.count).toBeGreaterThanOrEqual(2);
    expect(login['2xx']).toBeGreaterThanOrEqual(2);
    expect(login.latencyMs.p50).toBeGreaterThan(0);
    expect(login.latencyMs.p99).toBeGreaterThanOrEqual(login.latencyMs.p50);
    expect(r.body.storeCalls.postgres.count).toBeGreaterThan(0);
    expect(r.body.storeCalls.dynamodb.count).toBeGreaterThan(0);
    expect(r.body.guards.postgres).toMatchObject({ circuit: 'closed', retries: expect.any(Number) });
    expect(r.body.process.rssMb).toBeGreaterThan(0);
  });
});
