import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRequest } from '../../scripts/bench/archives.js';
import {
  authResponse,
  errorBody,
  packageInfo,
  packageVersion,
  publishResult,
  rfc3339,
  searchResults,
  userProfile,
} from '../support/rfhClientTypes.js';
import { expectStatus, ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

// Every response the rfh client reads, decoded with schemas that mirror the client's types
// (written from the client's side, never imported from the server), so the next type mistake
// fails here first. The end-to-end journey (test/e2e) covers the same through the client's wire.

let api: TestServer;
let root: string;
const password = 'correct horse battery';

beforeAll(async () => {
  api = await startTestServer();
  root = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
});
afterAll(async () => {
  await api?.close();
});

/** Decodes like the client: a schema failure names the field and the value that broke it. */
function decode<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } }, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new Error(`the client would fail to decode ${JSON.stringify(body)}: ${r.error.message}`);
  return r.data;
}

describe('the client types themselves', () => {
  it('refuse what broke the client before: a string session_id, loose times, non-integer ids', () => {
    const good = { token: 't', expires_at: '2026-12-01T06:45:23.972Z', user: { id: 1, username: 'a', email: 'a@b.c', role: 'user' }, session_id: 7 };
    expect(authResponse.safeParse(good).success).toBe(true);
    expect(authResponse.safeParse({ ...good, session_id: 'QAx4vu5bs_27NTPK8miP_w' }).success).toBe(false);
    expect(authResponse.safeParse({ ...good, session_id: 2 ** 53 }).success).toBe(false);
    expect(authResponse.safeParse({ ...good, user: { ...good.user, id: '1' } }).success).toBe(false);
    expect(authResponse.safeParse({ ...good, user: { ...good.user, id: 1.5 } }).success).toBe(false);
    for (const t of ['2026-12-01 06:45:23', '2026-12-01', '1764571523', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-12-01T06:45:23']) {
      expect(rfc3339.safeParse(t).success, t).toBe(false);
    }
    for (const t of ['2026-12-01T06:45:23Z', '2026-12-01T06:45:23.972Z', '2026-12-01T07:45:23+01:00']) expect(rfc3339.safeParse(t).success, t).toBe(true);
  });
});

describe('responses the client decodes into fixed types', () => {
  it('register: the login fields in the client types (and the user fields at the top level)', async () => {
    const r = await api.call('POST', '/v1/auth/register', { json: { username: 'conf-ann', email: 'conf-ann@example.com', password } });
    expectStatus(r, 201);
    const auth = decode(authResponse, r.body);
    expect(auth.session_id).toBeGreaterThanOrEqual(1);
    expect(r.body).toMatchObject({ id: auth.user.id, username: 'conf-ann', role: 'user' });
    expect(decode(rfc3339, r.body.created_at)).toBeTruthy();
  });

  it('login: every field in the client types; session numbers differ between sessions', async () => {
    const ids = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const r = await api.call('POST', '/v1/auth/login', { json: { username: 'conf-ann', password } });
      expectStatus(r, 200);
      ids.add(decode(authResponse, r.body).session_id);
    }
    expect(ids.size).toBe(5);
  });

  it('profile: times in RFC 3339, last_login null before the first login and a time after it', async () => {
    const reg = await api.call('POST', '/v1/auth/register', { json: { username: 'conf-bob', email: 'conf-bob@example.com', password } });
    const before = decode(userProfile, (await api.call('GET', '/v1/auth/profile', { token: reg.body.token })).body);
    expect(before.last_login).toBeNull();
    const login = await api.call('POST', '/v1/auth/login', { json: { username: 'conf-bob', password } });
    let after = before;
    for (let i = 0; i < 50 && after.last_login === null; i++) {
      await new Promise((r) => setTimeout(r, 20)); // last_login is written off the login's path
      after = decode(userProfile, (await api.call('GET', '/v1/auth/profile', { token: login.body.token })).body);
    }
    expect(after.last_login).not.toBeNull();
  });

  it('errors: a string `error` on every failure the auth commands print', async () => {
    for (const r of [
      await api.call('POST', '/v1/auth/login', { json: { username: 'conf-ann', password: 'wrong password' } }),
      await api.call('GET', '/v1/auth/profile', { token: 'garbage' }),
      await api.call('POST', '/v1/auth/register', { json: { username: 'conf-ann', email: 'other@example.com', password } }),
      await api.call('POST', '/v1/auth/register', { json: { username: 'x' } }),
    ]) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      decode(errorBody, r.body);
    }
  });
});

describe('responses the client reads as loose maps', () => {
  it('publish, version, package and search: the fields the client prints, in the types it prints them as', async () => {
    await api.call('PUT', '/v1/admin/users/conf-ann/role', { token: root, json: { role: 'publisher' } });
    const token = (await api.call('POST', '/v1/auth/login', { json: { username: 'conf-ann', password } })).body.token;
    for (const v of ['1.0.0', '1.2.0']) {
      const req = await publishRequest('conf-rules', v);
      const r = await api.call('POST', '/v1/packages', { token, body: req.body, headers: { 'content-type': req.contentType } });
      expectStatus(r, 201);
      expect(decode(publishResult, r.body)).toMatchObject({ name: 'conf-rules', version: v });
    }
    const version = decode(packageVersion, (await api.call('GET', '/v1/packages/conf-rules/versions/1.0.0')).body);
    expect(version.version).toBe('1.0.0');
    const info = decode(packageInfo, (await api.call('GET', '/v1/packages/conf-rules')).body);
    expect(info).toMatchObject({ latest: '1.2.0', versions: ['1.2.0', '1.0.0'] });
    const rows = decode(searchResults, (await api.call('GET', '/v1/packages?q=conf-rules')).body);
    expect(rows[0]).toMatchObject({ name: 'conf-rules', latest: '1.2.0' });
    decode(searchResults, (await api.call('GET', '/v1/packages')).body);
  });
});
