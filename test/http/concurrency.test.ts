import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/testServer.js';

// What must never happen: concurrent logins of one user getting identical tokens, or a 500.
// These tests fire real concurrent HTTP requests at the real local server.

let api: TestServer;
const password = 'correct horse battery';

beforeAll(async () => {
  api = await startTestServer({ env: { RFH_LOGIN_MAX_FAILURES: '10' } });
});
afterAll(async () => {
  await api?.close();
});

describe('contention', () => {
  it('60 concurrent logins of the same user all succeed with distinct, working tokens', async () => {
    await api.registerUser('same-user');
    const replies = await Promise.all(
      Array.from({ length: 60 }, () => api.call('POST', '/v1/auth/login', { json: { username: 'same-user', password } })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(60).fill(200));
    const tokens = new Set(replies.map((r) => r.body.token));
    expect(tokens.size).toBe(60);
    expect(new Set(replies.map((r) => r.body.session_id)).size).toBe(60);
    const profiles = await Promise.all([...tokens].map((token) => api.call('GET', '/v1/auth/profile', { token })));
    expect(profiles.every((p) => p.status === 200 && p.body.username === 'same-user')).toBe(true);
  });

  it('20 concurrent registrations of one username: exactly one 201, the rest 409', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.call('POST', '/v1/auth/register', { json: { username: 'racer', email: `racer${i}@example.com`, password } }),
      ),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  it('counts every one of many concurrent failed logins and then throttles with 429 + Retry-After', async () => {
    await api.registerUser('brute-target');
    const bad = await Promise.all(
      Array.from({ length: 10 }, () => api.call('POST', '/v1/auth/login', { json: { username: 'brute-target', password: 'guess guess' } })),
    );
    expect(bad.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    // All ten failures were counted atomically: the next attempt, even with the right password, is refused.
    const next = await api.call('POST', '/v1/auth/login', { json: { username: 'brute-target', password } });
    expect(next.status).toBe(429);
    expect(Number(next.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(next.body.error).toMatch(/too many/i);
    // An unknown name is throttled the same way: nothing tells it apart from a real account.
    for (let i = 0; i < 10; i++) await api.call('POST', '/v1/auth/login', { json: { username: 'no-such-account', password: 'guess guess' } });
    const unknown = await api.call('POST', '/v1/auth/login', { json: { username: 'no-such-account', password: 'guess guess' } });
    expect(unknown.status).toBe(429);
    expect(unknown.body).toEqual(next.body);
    // Other accounts are unaffected.
    await api.registerUser('bystander');
    expect((await api.call('POST', '/v1/auth/login', { json: { username: 'bystander', password } })).status).toBe(200);
  });

  it('a password change racing with logins leaves no session issued before it alive', async () => {
    const { token } = await api.registerUser('racing-pw');
    const logins = Array.from({ length: 10 }, () => api.call('POST', '/v1/auth/login', { json: { username: 'racing-pw', password } }));
    const change = api.call('POST', '/v1/auth/change-password', {
      token,
      json: { current_password: password, new_password: 'the new password' },
    });
    const [changed, ...done] = await Promise.all([change, ...logins]);
    expect(changed.status).toBe(200);
    const issued = done.filter((r) => r.status === 200).map((r) => r.body.token as string);
    const alive = await Promise.all(issued.map((t) => api.call('GET', '/v1/auth/profile', { token: t })));
    // Every login either failed or produced a token that no longer works: the old password is dead.
    expect(alive.filter((r) => r.status === 200)).toHaveLength(0);
    expect((await api.call('GET', '/v1/auth/profile', { token })).status).toBe(200);
  });
});
