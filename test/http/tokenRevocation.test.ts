import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiToken } from '../../shared/auth/apiTokens.js';
import { InProcessSideEffectQueue } from '../../shared/sideEffects/InProcessSideEffectQueue.js';
import { packageArchive } from '../support/archives.js';
import { ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

// What ends a user's API tokens, against the real local server (dynalite for the grants,
// PGlite or PostgreSQL for the rows): a password change, a deactivation, and, per registry, the
// member's removal or a demotion below what the token's scope needs. Each ends the grant at once
// (authentication fails), marks the row revoked, and audits it; nothing comes back to life.

let api: TestServer;
let root: string;
const password = 'correct horse battery';

async function person(username: string, role: 'user' | 'publisher' = 'publisher') {
  const r = await api.call('POST', '/v1/auth/register', { token: root, json: { username, email: `${username}@example.com`, password, role } });
  expect(r.status).toBe(201);
  return { token: r.body.token as string, id: r.body.id as number };
}

async function publish(token: string, name: string, version: string) {
  const form = new FormData();
  form.append('manifest', new Blob([JSON.stringify({ name, version, description: `${name} rules` })]), 'rulestack.json');
  form.append('archive', new Blob([new Uint8Array(await packageArchive(name, version))]), 'package.tgz');
  const res = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
  return res.status;
}

async function privateRegistry(ownerToken: string, name: string) {
  expect((await api.call('POST', '/v1/registries', { token: ownerToken, json: { name, visibility: 'private' } })).status).toBe(201);
  expect(await publish(ownerToken, `@${name}/rules`, '1.0.0')).toBe(201);
}

async function newToken(token: string, registry: string, scopes: Array<'read' | 'publish'>, name = scopes.join('+')) {
  const r = await api.call('POST', `/v1/registries/${registry}/tokens`, { token, json: { name, scopes } });
  expect(r.status).toBe(201);
  return { secret: r.body.token as string, id: r.body.id as string };
}

/** The status of reading the registry's private package with a token (a dead token reads as anonymous: 404). */
const reads = async (secret: string, registry: string) => (await api.call('GET', `/v1/packages/@${registry}/rules`, { token: secret })).status;

/**
 * Whether a token still authenticates: a signed-in route answers a live API token 403 (tokens
 * only read and publish) and a dead one 401.
 */
async function alive(secret: string): Promise<boolean> {
  const status = (await api.call('GET', '/v1/auth/profile', { token: secret })).status;
  expect([401, 403]).toContain(status);
  return status === 403;
}

const grant = (secret: string) => api.server.runtime.deps.apiTokens.get(hashApiToken(secret));

async function listed(token: string, registry: string, id: string) {
  const r = await api.call('GET', `/v1/registries/${registry}/tokens`, { token });
  expect(r.status).toBe(200);
  return r.body.find((t: { id: string }) => t.id === id) as { revoked_at: string | null };
}

async function revocationsAudited(token: string, registry: string) {
  const r = await api.call('GET', `/v1/registries/${registry}/audit?limit=100`, { token });
  expect(r.status).toBe(200);
  return (r.body as Array<{ action: string; actor: string; details: { token_id?: string; reason?: string } }>).filter((a) => a.action === 'token.revoke');
}

beforeAll(async () => {
  api = await startTestServer();
  root = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
});
afterAll(async () => {
  await api?.close();
});

describe('a password change', () => {
  it("revokes every live API token of the user: grants gone at once, rows revoked and audited; the session that changed it stays", async () => {
    const alice = await person('tr-alice');
    await privateRegistry(alice.token, 'tr-pw');
    await privateRegistry(alice.token, 'tr-pw2');
    const read = await newToken(alice.token, 'tr-pw', ['read']);
    const pub = await newToken(alice.token, 'tr-pw', ['publish']);
    const elsewhere = await newToken(alice.token, 'tr-pw2', ['read']);
    expect(await reads(read.secret, 'tr-pw')).toBe(200);

    const changed = await api.call('POST', '/v1/auth/change-password', { token: alice.token, json: { current_password: password, new_password: 'a brand new secret' } });
    expect(changed.status).toBe(200);

    expect(await alive(read.secret)).toBe(false);
    expect(await alive(elsewhere.secret)).toBe(false);
    expect(await publish(pub.secret, '@tr-pw/rules', '1.1.0')).toBe(401);
    for (const t of [read, pub, elsewhere]) expect(await grant(t.secret)).toBeNull();
    for (const t of [read, pub]) expect((await listed(alice.token, 'tr-pw', t.id)).revoked_at).not.toBeNull();
    expect((await listed(alice.token, 'tr-pw2', elsewhere.id)).revoked_at).not.toBeNull();
    const audited = await revocationsAudited(alice.token, 'tr-pw');
    expect(audited.map((a) => a.details.token_id).sort()).toEqual([read.id, pub.id].sort());
    expect(audited.every((a) => a.actor === 'tr-alice' && a.details.reason === 'password.change')).toBe(true);

    // The session that made the change goes on, and a token made afterwards works.
    expect((await api.call('GET', '/v1/auth/profile', { token: alice.token })).status).toBe(200);
    const fresh = await newToken(alice.token, 'tr-pw', ['read'], 'after');
    expect(await reads(fresh.secret, 'tr-pw')).toBe(200);
  });
});

describe('deactivation', () => {
  it("deleting your own account revokes your tokens (grants deleted, rows revoked, audited)", async () => {
    const bob = await person('tr-bob');
    await privateRegistry(bob.token, 'tr-self');
    const t = await newToken(bob.token, 'tr-self', ['read', 'publish']);
    expect(await reads(t.secret, 'tr-self')).toBe(200);
    expect((await api.call('DELETE', '/v1/auth/delete-account', { token: bob.token })).status).toBe(200);
    expect(await alive(t.secret)).toBe(false);
    expect(await grant(t.secret)).toBeNull();
    expect((await listed(root, 'tr-self', t.id)).revoked_at).not.toBeNull();
    const audited = await revocationsAudited(root, 'tr-self');
    expect(audited).toMatchObject([{ actor: 'tr-bob', details: { token_id: t.id, reason: 'account.deactivate' } }]);
  });

  it("an admin deleting a user revokes that user's tokens, audited as the admin's act", async () => {
    const carol = await person('tr-carol');
    await privateRegistry(carol.token, 'tr-admin');
    const t = await newToken(carol.token, 'tr-admin', ['read']);
    expect((await api.call('DELETE', `/v1/admin/users/${carol.id}`, { token: root })).status).toBe(200);
    expect(await alive(t.secret)).toBe(false);
    expect(await grant(t.secret)).toBeNull();
    expect((await listed(root, 'tr-admin', t.id)).revoked_at).not.toBeNull();
    expect(await revocationsAudited(root, 'tr-admin')).toMatchObject([{ actor: 'root', details: { token_id: t.id, reason: 'account.deactivate' } }]);
  });
});

describe('registry membership', () => {
  it("removing a member revokes the member's tokens of that registry; re-adding the member revives nothing", async () => {
    const owner = await person('tr-owner');
    const dan = await person('tr-dan');
    await privateRegistry(owner.token, 'tr-team');
    await privateRegistry(dan.token, 'tr-dans');
    expect((await api.call('PUT', '/v1/registries/tr-team/members/tr-dan', { token: owner.token, json: { role: 'publisher' } })).status).toBe(200);
    const read = await newToken(dan.token, 'tr-team', ['read']);
    const pub = await newToken(dan.token, 'tr-team', ['publish']);
    const own = await newToken(dan.token, 'tr-dans', ['read']);
    const ownersToken = await newToken(owner.token, 'tr-team', ['read']);
    expect(await reads(read.secret, 'tr-team')).toBe(200);

    expect((await api.call('DELETE', '/v1/registries/tr-team/members/tr-dan', { token: owner.token })).status).toBe(200);
    expect(await alive(read.secret)).toBe(false);
    expect(await publish(pub.secret, '@tr-team/rules', '1.1.0')).toBe(401);
    for (const t of [read, pub]) {
      expect(await grant(t.secret)).toBeNull();
      expect((await listed(owner.token, 'tr-team', t.id)).revoked_at).not.toBeNull();
    }
    const audited = await revocationsAudited(owner.token, 'tr-team');
    expect(audited.map((a) => a.details.token_id).sort()).toEqual([read.id, pub.id].sort());
    expect(audited.every((a) => a.actor === 'tr-owner' && a.details.reason === 'member.remove')).toBe(true);

    // Back in the registry, with the same role: the old tokens stay dead.
    expect((await api.call('PUT', '/v1/registries/tr-team/members/tr-dan', { token: owner.token, json: { role: 'publisher' } })).status).toBe(200);
    expect(await alive(read.secret)).toBe(false);
    expect(await reads(read.secret, 'tr-team')).toBe(404);
    expect(await publish(pub.secret, '@tr-team/rules', '1.1.0')).toBe(401);
    // Nobody else's tokens and none of the member's other registries are touched.
    expect(await reads(own.secret, 'tr-dans')).toBe(200);
    expect(await reads(ownersToken.secret, 'tr-team')).toBe(200);
  });

  it('a demotion revokes exactly the tokens whose scope the new role no longer grants', async () => {
    const owner = await person('tr-owner2');
    const eve = await person('tr-eve');
    await privateRegistry(owner.token, 'tr-demote');
    expect((await api.call('PUT', '/v1/registries/tr-demote/members/tr-eve', { token: owner.token, json: { role: 'admin' } })).status).toBe(200);
    const read = await newToken(eve.token, 'tr-demote', ['read']);
    const pub = await newToken(eve.token, 'tr-demote', ['publish']);
    const both = await newToken(eve.token, 'tr-demote', ['read', 'publish']);

    // admin -> publisher: a publisher may still hold every scope, nothing is revoked.
    expect((await api.call('PUT', '/v1/registries/tr-demote/members/tr-eve', { token: owner.token, json: { role: 'publisher' } })).status).toBe(200);
    for (const t of [read, pub, both]) expect((await listed(owner.token, 'tr-demote', t.id)).revoked_at).toBeNull();

    // publisher -> reader: the publish scope is gone, so are the tokens carrying it.
    expect((await api.call('PUT', '/v1/registries/tr-demote/members/tr-eve', { token: owner.token, json: { role: 'reader' } })).status).toBe(200);
    expect(await reads(read.secret, 'tr-demote')).toBe(200);
    expect(await alive(both.secret)).toBe(false);
    expect(await publish(pub.secret, '@tr-demote/rules', '1.1.0')).toBe(401);
    expect(await grant(pub.secret)).toBeNull();
    expect(await grant(both.secret)).toBeNull();
    expect((await listed(owner.token, 'tr-demote', read.id)).revoked_at).toBeNull();
    for (const t of [pub, both]) expect((await listed(owner.token, 'tr-demote', t.id)).revoked_at).not.toBeNull();
    const audited = await revocationsAudited(owner.token, 'tr-demote');
    expect(audited.map((a) => a.details.token_id).sort()).toEqual([pub.id, both.id].sort());
    expect(audited.every((a) => a.details.reason === 'member.demote')).toBe(true);

    // Promoted again: the revoked tokens stay revoked.
    expect((await api.call('PUT', '/v1/registries/tr-demote/members/tr-eve', { token: owner.token, json: { role: 'publisher' } })).status).toBe(200);
    expect(await publish(pub.secret, '@tr-demote/rules', '1.1.0')).toBe(401);
    expect(await alive(both.secret)).toBe(false);
  });
});

describe('session clean-up after a revocation', () => {
  it('removes only dead session items: a login right after a password change survives the clean-up', async () => {
    const { token, id } = await api.registerUser('tr-frank');
    const old = (await api.call('POST', '/v1/auth/login', { json: { username: 'tr-frank', password } })).body.token as string;
    expect(old).toBeTruthy();
    const deps = api.server.runtime.deps;
    const queue = deps.sideEffects as InProcessSideEffectQueue;
    const before = (await deps.sessions.listForUser(id, 100)).sessions.length;
    expect(before).toBe(2);
    expect((await api.call('POST', '/v1/auth/change-password', { token, json: { current_password: password, new_password: 'a brand new secret' } })).status).toBe(200);
    const fresh = (await api.call('POST', '/v1/auth/login', { json: { username: 'tr-frank', password: 'a brand new secret' } })).body.token as string;
    await queue.drain();
    const left = (await deps.sessions.listForUser(id, 100)).sessions;
    expect(left).toHaveLength(2); // the session that changed the password and the new login
    expect((await api.call('GET', '/v1/auth/profile', { token })).status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token: fresh })).status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token: old })).status).toBe(401);
  });
});
