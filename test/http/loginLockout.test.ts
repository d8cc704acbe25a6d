import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageArchive } from '../support/archives.js';
import { ROOT_PASSWORD, startTestServer, type ApiReply, type TestServer } from '../support/testServer.js';

// The login lock against the ways around it: many guesses at once, other spellings of the
// username, and registration's retry path. Real concurrent HTTP requests at the real local
// server (dynalite for the counters, PGlite or DATABASE_URL's PostgreSQL for the users).

const password = 'correct horse battery';
const LIMIT = 3;
const ALLOWANCE = 2;
let api: TestServer;

beforeAll(async () => {
  api = await startTestServer({
    env: { RFH_LOGIN_MAX_FAILURES: String(LIMIT), RFH_LOGIN_CONCURRENCY_ALLOWANCE: String(ALLOWANCE) },
  });
});
afterAll(async () => {
  await api?.close();
});

const login = (username: string, pw: string) => api.call('POST', '/v1/auth/login', { json: { username, password: pw } });
const statuses = (replies: ApiReply[]) => replies.map((r) => r.status);
const count = (replies: ApiReply[], status: number) => replies.filter((r) => r.status === status).length;

describe('guesses sent all at once', () => {
  it(`checks at most limit + allowance passwords of a burst, then refuses even the right one`, async () => {
    await api.registerUser('burst-target', password);
    const burst = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => login('burst-target', `wrong guess ${i}`)),
      login('burst-target', password),
    ]);
    expect(statuses(burst).every((s) => s === 401 || s === 429 || s === 200), statuses(burst).join(' ')).toBe(true);
    // Every password the server checked is a 401 or the 200; the rest were refused before hashing.
    const checked = burst.length - count(burst, 429);
    expect(checked, statuses(burst).join(' ')).toBeLessThanOrEqual(LIMIT + ALLOWANCE);
    for (const refused of burst.filter((r) => r.status === 429)) {
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.body.error).toMatch(/too many/i);
    }
    // The failures are counted: the right password now gets the 429 too, with the window's Retry-After.
    const after = await login('burst-target', password);
    expect(after.status).toBe(429);
    expect(Number(after.headers.get('retry-after'))).toBeGreaterThan(1);
  });

  it('an unknown username is throttled exactly like an account', async () => {
    await api.registerUser('burst-known', password);
    const known = await Promise.all(Array.from({ length: 12 }, (_, i) => login('burst-known', `guess ${i}`)));
    const unknown = await Promise.all(Array.from({ length: 12 }, (_, i) => login('burst-unknown', `guess ${i}`)));
    for (const burst of [known, unknown]) {
      expect(burst.length - count(burst, 429)).toBeLessThanOrEqual(LIMIT + ALLOWANCE);
      expect(count(burst, 401) + count(burst, 429)).toBe(burst.length);
    }
    const [k, u] = [await login('burst-known', password), await login('burst-unknown', password)];
    expect([k.status, u.status]).toEqual([429, 429]);
    expect(u.body).toEqual(k.body);
    // Bystanders are unaffected.
    await api.registerUser('burst-bystander', password);
    expect((await login('burst-bystander', password)).status).toBe(200);
  });

  it('sequential failures lock after the limit, without the allowance', async () => {
    await api.registerUser('slow-guesser', password);
    for (let i = 0; i < LIMIT; i++) expect((await login('slow-guesser', `guess ${i}`)).status).toBe(401);
    expect((await login('slow-guesser', 'one more guess')).status).toBe(429);
    expect((await login('slow-guesser', password)).status).toBe(429);
  });
});

describe('other spellings of a username', () => {
  // U+0130 (İ): PostgreSQL's lower() and JavaScript's toLowerCase() map it to "i" (plus a dot).
  const spellings = ['miNİ', 'mİni', 'mİnİ', 'MİNİ'];

  it('never reach the account: refused before any password is checked, with the right password too', async () => {
    await api.registerUser('mini', password);
    for (const name of spellings) {
      const r = await login(name, password);
      expect(r.status, name).toBe(400);
      expect(r.body.error).toMatch(/username/);
      expect(r.body.token).toBeUndefined();
    }
    // ASCII case is the one spelling freedom, and it shares the one counter.
    expect((await login('mini', 'guess one')).status).toBe(401);
    expect((await login('MINI', 'guess two')).status).toBe(401);
    expect((await login('Mini', 'guess three')).status).toBe(401);
    expect((await login('mInI', password)).status).toBe(429);
  });

  it('cannot widen the admin role change onto another account', async () => {
    await api.registerUser('rolli', password);
    const root = (await login('root', ROOT_PASSWORD)).body.token as string;
    const r = await api.call('PUT', `/v1/admin/users/${encodeURIComponent('rollİ')}/role`, { token: root, json: { role: 'publisher' } });
    expect(r.status).toBe(404);
    const own = (await login('rolli', password)).body.token as string;
    expect((await api.call('GET', '/v1/auth/profile', { token: own })).status).toBe(200);
    const listed = await api.call('GET', '/v1/admin/users?limit=200', { token: root });
    expect(listed.body.users.find((u: { username: string }) => u.username === 'rolli').role).toBe('user');
    // The ASCII spelling still works.
    expect((await api.call('PUT', '/v1/admin/users/ROLLI/role', { token: root, json: { role: 'publisher' } })).status).toBe(200);
  });

  it('cannot widen a package owner or registry member lookup onto another account', async () => {
    const root = (await login('root', ROOT_PASSWORD)).body.token as string;
    const create = (username: string) =>
      api.call('POST', '/v1/auth/register', { token: root, json: { username, email: `${username}@example.com`, password, role: 'publisher' } });
    const publisher = (await create('spell-pub')).body.token as string;
    await create('spelli');
    await create('kspell');
    const form = new FormData();
    form.append('manifest', new Blob([JSON.stringify({ name: 'spell-pkg', version: '1.0.0' })]), 'rulestack.json');
    form.append('archive', new Blob([new Uint8Array(await packageArchive('spell-pkg', '1.0.0'))]), 'p.tgz');
    const published = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: form, headers: { authorization: `Bearer ${publisher}` } });
    expect(published.status).toBe(201);
    const owners = (who: string, method = 'PUT') =>
      api.call(method, `/v1/packages/spell-pkg/owners/${encodeURIComponent(who)}`, { token: publisher });
    // "spellİ" folds to "spelli" in PostgreSQL, and the KELVIN SIGN of "\u212Aspell" to "k" in JavaScript.
    expect((await owners('spellİ')).status).toBe(404);
    expect((await owners('KSPELL')).status).toBe(200);
    expect((await owners('\u212Aspell', 'DELETE')).status).toBe(404);
    expect((await api.call('GET', '/v1/packages/spell-pkg/owners')).text).toContain('kspell');
    expect((await api.call('POST', '/v1/registries', { token: publisher, json: { name: 'spellreg', description: '', visibility: 'public' } })).status).toBe(201);
    const member = (who: string, method: string) =>
      api.call(method, `/v1/registries/spellreg/members/${encodeURIComponent(who)}`, { token: publisher, json: method === 'PUT' ? { role: 'reader' } : undefined });
    expect((await member('spellİ', 'PUT')).status).toBe(404);
    expect((await member('Spelli', 'PUT')).status).toBe(200);
    expect((await member('spellİ', 'DELETE')).status).toBe(404);
    expect((await member('SPELLI', 'DELETE')).status).toBe(200);
  });
});

describe('registration retried for an existing account', () => {
  const registration = (username: string, pw: string) =>
    api.call('POST', '/v1/auth/register', { json: { username, email: `${username}@example.com`, password: pw } });

  it('respects the lock: a locked account is not signed in by an identical registration', async () => {
    expect((await registration('retry-locked', password)).status).toBe(201);
    for (let i = 0; i < LIMIT; i++) expect((await login('retry-locked', `guess ${i}`)).status).toBe(401);
    const retry = await registration('retry-locked', password);
    expect(retry.status).toBe(429);
    expect(retry.body.token).toBeUndefined();
  });

  it('counts its wrong passwords like failed logins', async () => {
    expect((await registration('retry-oracle', password)).status).toBe(201);
    for (let i = 0; i < LIMIT; i++) expect((await registration('retry-oracle', `guess number ${i}`)).status).toBe(409);
    expect((await login('retry-oracle', password)).status).toBe(429);
    expect((await registration('retry-oracle', password)).status).toBe(429);
  });

  it('is bounded under concurrency like login', async () => {
    expect((await registration('retry-burst', password)).status).toBe(201);
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => registration('retry-burst', `guess number ${i}`)));
    expect(count(burst, 409) + count(burst, 429)).toBe(burst.length);
    expect(count(burst, 409)).toBeLessThanOrEqual(LIMIT + ALLOWANCE);
    expect((await login('retry-burst', password)).status).toBe(429);
  });

  it('still signs in the client that retries its own registration while the account is unlocked', async () => {
    const first = await registration('retry-honest', password);
    const again = await registration('retry-honest', password);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body.id).toBe(first.body.id);
    expect((await api.call('GET', '/v1/auth/profile', { token: again.body.token })).status).toBe(200);
  });
});

describe('simultaneous logins of one account at the default settings', () => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await startTestServer();
  });
  afterAll(async () => {
    await plain?.close();
  });

  it('50 simultaneous correct logins of one account all succeed with distinct tokens', async () => {
    await plain.registerUser('seed-user', password);
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => plain.call('POST', '/v1/auth/login', { json: { username: 'seed-user', password } })),
    );
    expect(statuses(replies)).toEqual(Array(50).fill(200));
    expect(new Set(replies.map((r) => r.body.token)).size).toBe(50);
    // Every slot was released: another round at once succeeds as well.
    const again = await Promise.all(
      Array.from({ length: 50 }, () => plain.call('POST', '/v1/auth/login', { json: { username: 'seed-user', password } })),
    );
    expect(statuses(again)).toEqual(Array(50).fill(200));
  });
});
