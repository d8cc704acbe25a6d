import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessSideEffectQueue } from '../../shared/sideEffects/InProcessSideEffectQueue.js';
import { ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

let api: TestServer;

beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api?.close();
});

const password = 'correct horse battery';

describe('GET /v1/health', () => {
  it('reports ok with both stores and the security headers', async () => {
    const r = await api.call('GET', '/v1/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', service: 'rulestack-api', stores: { postgres: 'ok', dynamodb: 'ok', blobs: 'ok' } });
    expect(typeof r.body.version).toBe('string');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('POST /v1/auth/register', () => {
  it('creates a user, returns its fields and a working token (201)', async () => {
    const r = await api.call('POST', '/v1/auth/register', {
      json: { username: 'reg-alice', email: 'reg-alice@example.com', password },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      username: 'reg-alice',
      email: 'reg-alice@example.com',
      role: 'user',
      user: { username: 'reg-alice', email: 'reg-alice@example.com', role: 'user' },
    });
    expect(r.body.id).toBe(r.body.user.id);
    expect(Date.parse(r.body.created_at)).not.toBeNaN();
    expect(Date.parse(r.body.expires_at)).toBeGreaterThan(Date.now());
    // Clients decode session_id as an integer: a string here fails every rfh login.
    expect(Number.isSafeInteger(r.body.session_id) && r.body.session_id > 0).toBe(true);
    expect(JSON.stringify(r.body)).not.toMatch(/password/i);
    const profile = await api.call('GET', '/v1/auth/profile', { token: r.body.token });
    expect(profile.status).toBe(200);
    expect(profile.body.username).toBe('reg-alice');
  });

  it('rejects duplicate usernames (any case) and emails with 409', async () => {
    await api.registerUser('dup-bob');
    const sameName = await api.call('POST', '/v1/auth/register', {
      json: { username: 'DUP-BOB', email: 'other@example.com', password },
    });
    expect(sameName.status).toBe(409);
    expect(sameName.body.error).toMatch(/username/i);
    const sameEmail = await api.call('POST', '/v1/auth/register', {
      json: { username: 'dup-bob2', email: 'DUP-BOB@example.com', password },
    });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.error).toMatch(/email/i);
  });

  it.each([
    [{ email: 'a@example.com', password }, /username/],
    [{ username: 'ab', email: 'a@example.com', password }, /username.*3 to 50/],
    [{ username: 'x'.repeat(51), email: 'a@example.com', password }, /username/],
    [{ username: 'bad name!', email: 'a@example.com', password }, /username/],
    [{ username: 'okname', email: 'not-an-email', password }, /email/],
    [{ username: 'okname', email: 'a@example.com', password: 'short' }, /password.*at least 8/],
    [{ username: 'okname', email: 'a@example.com', password: 'p'.repeat(129) }, /password/],
    [{ username: 42, email: 'a@example.com', password }, /username.*string/],
    [{ username: 'okname', email: 'a@example.com', password, role: 'root' }, /role/],
  ])('rejects invalid input %j with a clear 400', async (json, message) => {
    const r = await api.call('POST', '/v1/auth/register', { json });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(message);
  });

  it('refuses a role above user unless an admin asks', async () => {
    const anon = await api.call('POST', '/v1/auth/register', {
      json: { username: 'wants-publisher', email: 'wp@example.com', password, role: 'publisher' },
    });
    expect(anon.status).toBe(403);
    const { token: userToken } = await api.registerUser('plain-user');
    const byUser = await api.call('POST', '/v1/auth/register', {
      token: userToken,
      json: { username: 'wants-publisher', email: 'wp@example.com', password, role: 'publisher' },
    });
    expect(byUser.status).toBe(403);
    const root = await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } });
    const byRoot = await api.call('POST', '/v1/auth/register', {
      token: root.body.token,
      json: { username: 'wants-publisher', email: 'wp@example.com', password, role: 'publisher' },
    });
    expect(byRoot.status).toBe(201);
    expect(byRoot.body.role).toBe('publisher');
  });

  it('answers a retried identical registration like the first, and anything else with 409', async () => {
    const body = { username: 'retry-rita', email: 'rita@example.com', password };
    const first = await api.call('POST', '/v1/auth/register', { json: body });
    const again = await api.call('POST', '/v1/auth/register', { json: body });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.token).not.toBe(first.body.token);
    expect((await api.call('GET', '/v1/auth/profile', { token: again.body.token })).status).toBe(200);
    const otherPassword = await api.call('POST', '/v1/auth/register', { json: { ...body, password: 'someone elses pass' } });
    expect(otherPassword.status).toBe(409);
    const otherEmail = await api.call('POST', '/v1/auth/register', { json: { ...body, email: 'other@example.com' } });
    expect(otherEmail.status).toBe(409);
  });

  it('creates nothing on a rejected registration', async () => {
    await api.call('POST', '/v1/auth/register', { json: { username: 'ghost', email: 'bad', password } });
    const login = await api.call('POST', '/v1/auth/login', { json: { username: 'ghost', password } });
    expect(login.status).toBe(401);
  });
});

describe('malformed requests', () => {
  it('answers 400 for malformed JSON, non-objects and missing bodies', async () => {
    for (const body of ['{"username":', '[1,2]', '"text"', 'null', '']) {
      const r = await api.call('POST', '/v1/auth/login', { body, headers: { 'content-type': 'application/json' } });
      expect(r.status, body).toBe(400);
      expect(typeof r.body.error).toBe('string');
    }
  });

  it('answers 415 for a body that is not JSON', async () => {
    const r = await api.call('POST', '/v1/auth/login', { body: 'username=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(415);
  });

  it('answers 413 for an oversized body without reading it all', async () => {
    const huge = JSON.stringify({ username: 'a', password: 'x'.repeat(100_000) });
    const r = await api.call('POST', '/v1/auth/login', { body: huge, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/too large/i);
  });

  it('delivers the 413 to a client still sending a body far over the limit, and keeps its connection usable', async () => {
    // Before the fix the server closed the connection under the sender: EPIPE or a reset, and
    // the answer was lost for clients that read only after writing.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, chunks = 0) =>
      new Promise<{ status: number; body: string; socket: unknown }>((resolve, reject) => {
        const req = http.request(`${api.url}${path}`, { method, agent, headers: chunks ? { 'content-type': 'application/json' } : {} }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket }));
        });
        req.on('error', reject);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < chunks) {
            sent++;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
    const refused = await send('POST', '/v1/auth/login', 128); // 8 MiB, chunked: no Content-Length to judge by
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body).error).toMatch(/too large.*16384 bytes/i);
    const next = await send('GET', '/v1/health');
    expect(next.status).toBe(200);
    expect(next.socket).toBe(refused.socket);
    agent.destroy();
  });

  it('answers 404 and 405 as JSON for unknown paths and methods', async () => {
    const nf = await api.call('GET', '/v1/nope');
    expect(nf.status).toBe(404);
    expect(nf.body.error).toBeTruthy();
    const na = await api.call('DELETE', '/v1/auth/login');
    expect(na.status).toBe(405);
    expect(na.headers.get('allow')).toBe('POST');
  });

  it('answers CORS preflights', async () => {
    const r = await fetch(`${api.url}/v1/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com', 'access-control-request-method': 'POST' },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });
});

describe('POST /v1/auth/login', () => {
  it('returns the shape the rfh client decodes', async () => {
    await api.registerUser('login-carol');
    const r = await api.call('POST', '/v1/auth/login', { json: { username: 'login-carol', password } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['expires_at', 'session_id', 'token', 'user']);
    expect(Object.keys(r.body.user).sort()).toEqual(['email', 'id', 'role', 'username']);
  });

  it('answers the same 401 for an unknown user and a wrong password', async () => {
    await api.registerUser('login-dave');
    const wrong = await api.call('POST', '/v1/auth/login', { json: { username: 'login-dave', password: 'wrong password' } });
    const unknown = await api.call('POST', '/v1/auth/login', { json: { username: 'nobody-here', password: 'wrong password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'Invalid credentials' });
    expect(unknown.body).toEqual(wrong.body);
  });

  it('records last_login without delaying the login', async () => {
    await api.registerUser('login-erin');
    const r = await api.call('POST', '/v1/auth/login', { json: { username: 'login-erin', password } });
    await (api.server.runtime.deps.sideEffects as InProcessSideEffectQueue).drain();
    const profile = await api.call('GET', '/v1/auth/profile', { token: r.body.token });
    expect(profile.body.last_login).not.toBeNull();
  });
});

describe('authentication failures', () => {
  it('rejects missing, garbage, tampered and foreign tokens with 401 and constant messages', async () => {
    const { token } = await api.registerUser('auth-frank');
    const missing = await api.call('GET', '/v1/auth/profile');
    expect(missing.status).toBe(401);
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    const alg = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    for (const bad of ['garbage', tampered, `${alg}.${p}.`, 'a.b.c']) {
      const r = await api.call('GET', '/v1/auth/profile', { token: bad });
      expect(r.status, bad).toBe(401);
      expect(r.body).toEqual({ error: 'Invalid or expired token' });
    }
    const basic = await api.call('GET', '/v1/auth/profile', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
  });

  it('rejects a token after logout, at once', async () => {
    const { token } = await api.registerUser('auth-gina');
    expect((await api.call('GET', '/v1/auth/profile', { token })).status).toBe(200);
    const out = await api.call('POST', '/v1/auth/logout', { token });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ message: 'Logged out successfully' });
    expect((await api.call('GET', '/v1/auth/profile', { token })).status).toBe(401);
    expect((await api.call('POST', '/v1/auth/logout', { token })).status).toBe(401);
  });
});

describe('GET /v1/auth/sessions and DELETE /v1/auth/sessions/{id}', () => {
  const loginAs = (username: string, agent: string) =>
    api.call('POST', '/v1/auth/login', { json: { username, password }, headers: { 'user-agent': agent } });

  it("lists the caller's live sessions with the address and agent recorded at login, the current one marked", async () => {
    await api.registerUser('sess-jane');
    const a = await loginAs('sess-jane', 'laptop/1.0');
    const b = await loginAs('sess-jane', 'Go-http-client/1.1');
    expect(a.body.session_id).not.toBe(b.body.session_id);
    await api.registerUser('sess-other');
    const r = await api.call('GET', '/v1/auth/sessions', { token: b.body.token, headers: { 'user-agent': 'something else' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const byId = new Map(r.body.sessions.map((s: { id: number }) => [s.id, s]));
    expect(r.body.sessions).toHaveLength(3); // the registration's session, a and b
    expect(byId.get(b.body.session_id)).toMatchObject({ current: true, user_agent: 'Go-http-client/1.1', client_address: '127.0.0.1' });
    expect(byId.get(a.body.session_id)).toMatchObject({ current: false, user_agent: 'laptop/1.0' });
    expect(r.body.sessions[0].id).toBe(b.body.session_id); // newest first
    for (const s of r.body.sessions) {
      expect(Number.isSafeInteger(s.id)).toBe(true);
      expect(Date.parse(s.created_at)).toBeLessThan(Date.parse(s.expires_at));
    }
  });

  it('ends one of your own sessions by number, and nobody else\'s (404)', async () => {
    const { token: mine } = await api.registerUser('sess-kim');
    const other = await loginAs('sess-kim', 'phone');
    const { token: stranger } = await api.registerUser('sess-lee');
    const foreign = await api.call('DELETE', `/v1/auth/sessions/${other.body.session_id}`, { token: stranger });
    expect(foreign.status).toBe(404);
    expect((await api.call('GET', '/v1/auth/profile', { token: other.body.token })).status).toBe(200);

    const ended = await api.call('DELETE', `/v1/auth/sessions/${other.body.session_id}`, { token: mine });
    expect(ended.status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token: other.body.token })).status).toBe(401);
    expect((await api.call('GET', '/v1/auth/profile', { token: mine })).status).toBe(200);
    expect((await api.call('DELETE', `/v1/auth/sessions/${other.body.session_id}`, { token: mine })).status).toBe(404);
    const listed = await api.call('GET', '/v1/auth/sessions', { token: mine });
    expect(listed.body.sessions.map((s: { id: number }) => s.id)).not.toContain(other.body.session_id);
  });

  it('refuses malformed numbers with 400 and anonymous callers with 401', async () => {
    const { token } = await api.registerUser('sess-max');
    for (const bad of ['abc', '0', '-1', '1.5', '9007199254740992', '99999999999999999999']) {
      const r = await api.call('DELETE', `/v1/auth/sessions/${bad}`, { token });
      expect(r.status, bad).toBe(400);
      expect(typeof r.body.error).toBe('string');
    }
    expect((await api.call('GET', '/v1/auth/sessions')).status).toBe(401);
  });

  it('shows only the current session after a password change; ending the current one signs out', async () => {
    const { token } = await api.registerUser('sess-ned');
    await loginAs('sess-ned', 'old device');
    const changed = await api.call('POST', '/v1/auth/change-password', { token, json: { current_password: password, new_password: 'another long secret' } });
    expect(changed.status).toBe(200);
    const r = await api.call('GET', '/v1/auth/sessions', { token });
    expect(r.body.sessions).toHaveLength(1);
    expect(r.body.sessions[0].current).toBe(true);
    expect((await api.call('DELETE', `/v1/auth/sessions/${r.body.sessions[0].id}`, { token })).status).toBe(200);
    expect((await api.call('GET', '/v1/auth/sessions', { token })).status).toBe(401);
  });
});

describe('POST /v1/auth/change-password', () => {
  it('keeps the current session, ends every other one, and switches the password', async () => {
    const { token: current } = await api.registerUser('pw-henry');
    const other = (await api.call('POST', '/v1/auth/login', { json: { username: 'pw-henry', password } })).body.token;
    const r = await api.call('POST', '/v1/auth/change-password', {
      token: current,
      json: { current_password: password, new_password: 'a brand new secret' },
    });
    expect(r.status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token: current })).status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token: other })).status).toBe(401);
    expect((await api.call('POST', '/v1/auth/login', { json: { username: 'pw-henry', password } })).status).toBe(401);
    const fresh = await api.call('POST', '/v1/auth/login', { json: { username: 'pw-henry', password: 'a brand new secret' } });
    expect(fresh.status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token: fresh.body.token })).status).toBe(200);
  });

  it('refuses a wrong current password and a weak new one, changing nothing', async () => {
    const { token } = await api.registerUser('pw-iris');
    const wrong = await api.call('POST', '/v1/auth/change-password', {
      token,
      json: { current_password: 'not my password', new_password: 'another secret' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatch(/current password/i);
    const weak = await api.call('POST', '/v1/auth/change-password', { token, json: { current_password: password, new_password: 'short' } });
    expect(weak.status).toBe(400);
    expect((await api.call('POST', '/v1/auth/login', { json: { username: 'pw-iris', password } })).status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token })).status).toBe(200);
  });
});

describe('DELETE /v1/auth/delete-account', () => {
  it('deactivates the account and ends all its sessions', async () => {
    const { token } = await api.registerUser('del-jack');
    const other = (await api.call('POST', '/v1/auth/login', { json: { username: 'del-jack', password } })).body.token;
    const r = await api.call('DELETE', '/v1/auth/delete-account', { token });
    expect(r.status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token })).status).toBe(401);
    expect((await api.call('GET', '/v1/auth/profile', { token: other })).status).toBe(401);
    const login = await api.call('POST', '/v1/auth/login', { json: { username: 'del-jack', password } });
    expect(login.status).toBe(401);
    expect(login.body.error).toBe('Invalid credentials');
    // The name stays taken: a deactivated account's name cannot be re-registered by someone else.
    const again = await api.call('POST', '/v1/auth/register', { json: { username: 'del-jack', email: 'new@example.com', password } });
    expect(again.status).toBe(409);
  });

  it('never deletes root', async () => {
    const root = await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } });
    const r = await api.call('DELETE', '/v1/auth/delete-account', { token: root.body.token });
    expect(r.status).toBe(403);
    expect((await api.call('GET', '/v1/auth/profile', { token: root.body.token })).status).toBe(200);
  });
});
