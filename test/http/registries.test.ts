import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiToken, isWellFormedApiToken } from '../../shared/auth/apiTokens.js';
import { packageArchive } from '../support/archives.js';
import { ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

let api: TestServer;
let root: string;
const users: Record<string, { token: string; id: number }> = {};
const password = 'correct horse battery';

async function person(username: string, role: 'user' | 'publisher' | 'admin' = 'publisher') {
  const r = await api.call('POST', '/v1/auth/register', { token: root, json: { username, email: `${username}@example.com`, password, role } });
  expect(r.status).toBe(201);
  return (users[username] = { token: r.body.token, id: r.body.id });
}

async function publish(token: string | undefined, name: string, version: string) {
  const form = new FormData();
  form.append('manifest', new Blob([JSON.stringify({ name, version, description: `${name} rules` })]), 'rulestack.json');
  form.append('archive', new Blob([new Uint8Array(await packageArchive(name, version))]), 'package.tgz');
  const res = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) };
}

const createRegistry = (token: string, json: Record<string, unknown>) => api.call('POST', '/v1/registries', { token, json });

beforeAll(async () => {
  api = await startTestServer({ env: { RFH_REGISTRY_CAP: '3' } });
  root = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
  for (const name of ['owner', 'coadmin', 'member', 'outsider', 'capper']) await person(name);
  await person('plain', 'user');
});
afterAll(async () => {
  await api?.close();
});

describe('registries', () => {
  it('publishers create registries and become their admins; users cannot; names are unique', async () => {
    const r = await createRegistry(users.owner!.token, { name: 'acme', description: 'Acme rules', visibility: 'private' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'acme', visibility: 'private', config_version: 1, your_role: 'admin', created_by: 'owner' });
    expect(r.headers.get('etag')).toBe('"v1"');
    expect((await createRegistry(users.plain!.token, { name: 'plains' })).status).toBe(403);
    expect((await createRegistry(users.member!.token, { name: 'acme' })).status).toBe(409);
    expect((await createRegistry(users.member!.token, { name: 'default' })).status).toBe(400);
    expect((await createRegistry(users.member!.token, { name: 'Bad Name' })).status).toBe(400);
  });

  it('caps registries per user, also under concurrent creation', async () => {
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => createRegistry(users.capper!.token, { name: `cap-${i}` })));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(3);
    expect(replies.filter((r) => r.status === 403)).toHaveLength(3);
  });

  it('keeps private registries invisible to outsiders', async () => {
    expect((await api.call('GET', '/v1/registries/acme', { token: users.outsider!.token })).status).toBe(404);
    expect((await api.call('GET', '/v1/registries/acme')).status).toBe(404);
    const listed = await api.call('GET', '/v1/registries', { token: users.outsider!.token });
    expect(listed.body.map((r: { name: string }) => r.name)).not.toContain('acme');
    expect(listed.body.map((r: { name: string }) => r.name)).toContain('default');
    const mine = await api.call('GET', '/v1/registries', { token: users.owner!.token });
    expect(mine.body.find((r: { name: string }) => r.name === 'acme')).toMatchObject({ your_role: 'admin' });
  });

  it('PATCH needs If-Match (428), refuses stale versions (412), and one of two concurrent admins wins', async () => {
    await api.call('PUT', '/v1/registries/acme/members/coadmin', { token: users.owner!.token, json: { role: 'admin' } });
    expect((await api.call('PATCH', '/v1/registries/acme', { token: users.owner!.token, json: { description: 'x' } })).status).toBe(428);
    const current = await api.call('GET', '/v1/registries/acme', { token: users.owner!.token });
    const etag = current.headers.get('etag')!;
    const [a, b] = await Promise.all([
      api.call('PATCH', '/v1/registries/acme', { token: users.owner!.token, json: { description: 'by owner' }, headers: { 'if-match': etag } }),
      api.call('PATCH', '/v1/registries/acme', { token: users.coadmin!.token, json: { description: 'by coadmin' }, headers: { 'if-match': etag } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const loser = a.status === 412 ? a : b;
    expect(loser.body.error).toMatch(/reload/);
    const after = await api.call('GET', '/v1/registries/acme', { token: users.owner!.token });
    expect(after.body.config_version).toBe(current.body.config_version + 1);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect((await api.call('PATCH', '/v1/registries/acme', { token: users.member!.token, json: { description: 'x' }, headers: { 'if-match': after.headers.get('etag')! } })).status).toBe(404);
  });

  it('manages members; the last admin can be neither removed nor demoted, even by two concurrent requests', async () => {
    const add = await api.call('PUT', '/v1/registries/acme/members/member', { token: users.owner!.token, json: { role: 'publisher' } });
    expect(add.status).toBe(200);
    expect(add.body.map((m: { username: string }) => m.username)).toEqual(['owner', 'coadmin', 'member']);
    expect((await api.call('PUT', '/v1/registries/acme/members/outsider', { token: users.member!.token, json: { role: 'reader' } })).status).toBe(403);
    expect((await api.call('PUT', '/v1/registries/acme/members/member', { token: users.owner!.token, json: { role: 'owner' } })).status).toBe(400);
    expect((await api.call('PUT', '/v1/registries/acme/members/nobody-here', { token: users.owner!.token, json: { role: 'reader' } })).status).toBe(404);
    expect((await api.call('GET', '/v1/registries/acme/members', { token: users.member!.token })).status).toBe(200);
    // Two admins remove each other at the same moment: one wins, one admin remains.
    await createRegistry(users.member!.token, { name: 'duo' });
    await api.call('PUT', '/v1/registries/duo/members/coadmin', { token: users.member!.token, json: { role: 'admin' } });
    const [x, y] = await Promise.all([
      api.call('DELETE', '/v1/registries/duo/members/coadmin', { token: users.member!.token }),
      api.call('DELETE', '/v1/registries/duo/members/member', { token: users.coadmin!.token }),
    ]);
    expect([x.status, y.status].filter((s) => s === 200)).toHaveLength(1);
    const survivor = x.status === 200 ? users.member! : users.coadmin!;
    const remaining = await api.call('GET', '/v1/registries/duo/members', { token: survivor.token });
    expect(remaining.body.filter((m: { role: string }) => m.role === 'admin')).toHaveLength(1);
    const lastName = remaining.body[0].username;
    expect((await api.call('DELETE', `/v1/registries/duo/members/${lastName}`, { token: survivor.token })).status).toBe(409);
    expect((await api.call('PUT', `/v1/registries/duo/members/${lastName}`, { token: survivor.token, json: { role: 'reader' } })).status).toBe(409);
  });
});

describe('private packages and API tokens', () => {
  let sha: string;
  let readToken: string;
  let publishToken: string;
  let readTokenId: string;

  beforeAll(async () => {
    const r = await publish(users.member!.token, '@acme/secret-rules', '1.0.0');
    expect(r.status).toBe(201);
    sha = r.body.sha256;
  });

  it('a private package is invisible to outsiders and anonymous callers, visible to members', async () => {
    for (const token of [undefined, users.outsider!.token]) {
      expect((await api.call('GET', '/v1/packages/@acme/secret-rules', { token })).status).toBe(404);
      expect((await api.call('GET', '/v1/packages/@acme/secret-rules/versions/1.0.0', { token })).status).toBe(404);
      expect((await api.call('GET', '/v1/packages/@acme/secret-rules/owners', { token })).status).toBe(404);
      expect((await api.call('GET', `/v1/blobs/${sha}`, { token })).status).toBe(404);
      const found = await api.call('GET', '/v1/packages?q=secret', { token });
      expect(found.body.map((p: { name: string }) => p.name)).not.toContain('@acme/secret-rules');
    }
    const seen = await api.call('GET', '/v1/packages/@acme/secret-rules', { token: users.member!.token });
    expect(seen.status).toBe(200);
    expect(seen.headers.get('cache-control')).toBe('private, no-store');
    expect((await api.call('GET', '/v1/packages?q=secret', { token: users.member!.token })).body[0]?.name).toBe('@acme/secret-rules');
    // An outsider cannot publish into it either, and is told it does not exist.
    const intrude = await publish(users.outsider!.token, '@acme/intruder', '1.0.0');
    expect(intrude.status).toBe(404);
  });

  it('creates tokens whose secret is shown once, prefixed and checksummed, and lists them without secrets', async () => {
    const r = await api.call('POST', '/v1/registries/acme/tokens', { token: users.member!.token, json: { name: 'ci read', scopes: ['read'] } });
    expect(r.status).toBe(201);
    expect(isWellFormedApiToken(r.body.token)).toBe(true);
    expect(r.body.token).toMatch(/^rfh_/);
    expect(Date.parse(r.body.expires_at) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    readToken = r.body.token;
    readTokenId = r.body.id;
    const p = await api.call('POST', '/v1/registries/acme/tokens', { token: users.member!.token, json: { name: 'ci publish', scopes: ['publish'], expires_in_days: 7 } });
    expect(p.status).toBe(201);
    publishToken = p.body.token;
    expect((await api.call('POST', '/v1/registries/acme/tokens', { token: users.member!.token, json: { name: 'x', scopes: ['read'], expires_in_days: 400 } })).status).toBe(400);
    expect((await api.call('POST', '/v1/registries/acme/tokens', { token: users.member!.token, json: { name: 'x', scopes: ['admin'] } })).status).toBe(400);
    expect((await api.call('POST', '/v1/registries/acme/tokens', { token: users.outsider!.token, json: { name: 'x', scopes: ['read'] } })).status).toBe(404);
    const listed = await api.call('GET', '/v1/registries/acme/tokens', { token: users.owner!.token });
    expect(listed.body.map((t: { name: string }) => t.name).sort()).toEqual(['ci publish', 'ci read']);
    expect(JSON.stringify(listed.body)).not.toContain(readToken);
    expect(JSON.stringify(listed.body)).not.toContain(hashApiToken(readToken));
  });

  it('a read token reads and downloads private packages but cannot publish or manage anything', async () => {
    const got = await api.call('GET', '/v1/packages/@acme/secret-rules', { token: readToken });
    expect(got.status).toBe(200);
    const blob = await fetch(`${api.url}/v1/blobs/${sha}`, { headers: { authorization: `Bearer ${readToken}` } });
    expect(blob.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await blob.arrayBuffer())).digest('hex')).toBe(sha);
    expect((await publish(readToken, '@acme/secret-rules', '1.1.0')).status).toBe(403);
    expect((await api.call('GET', '/v1/auth/profile', { token: readToken })).status).toBe(403);
    expect((await api.call('POST', '/v1/registries/acme/tokens', { token: readToken, json: { name: 'y', scopes: ['read'] } })).status).toBe(403);
  });

  it('a publish token publishes as its creator, only into its registry', async () => {
    const r = await publish(publishToken, '@acme/secret-rules', '1.1.0');
    expect(r.status).toBe(201);
    const v = await api.call('GET', '/v1/packages/@acme/secret-rules/versions/1.1.0', { token: users.member!.token });
    expect(v.body.published_by).toBe('member');
    await createRegistry(users.member!.token, { name: 'other' });
    expect((await publish(publishToken, '@other/thing', '1.0.0')).status).toBe(403);
    expect((await publish(publishToken, 'unscoped-thing', '1.0.0')).status).toBe(403);
  });

  it('a token of another registry, an expired token and a garbage token see nothing private', async () => {
    const other = await api.call('POST', '/v1/registries/other/tokens', { token: users.member!.token, json: { name: 'other read', scopes: ['read'] } });
    expect((await api.call('GET', '/v1/packages/@acme/secret-rules', { token: other.body.token })).status).toBe(404);
    // An expired grant, as DynamoDB would hold it until its TTL passes.
    const expired = 'rfh_' + 'A'.repeat(30);
    await api.server.runtime.deps.apiTokens.put(hashApiToken(expired), {
      tokenId: '00000000-0000-4000-8000-000000000000', userId: users.member!.id, username: 'member', role: 'publisher', registry: 'acme', scopes: ['read'], expiresAt: Date.now() - 1000,
    });
    expect((await api.call('GET', '/v1/packages/@acme/secret-rules', { token: expired })).status).toBe(404);
    expect((await api.call('GET', '/v1/auth/profile', { token: 'rfh_' + 'B'.repeat(36) })).status).toBe(401);
  });

  it('revokes at once, and a removed member’s tokens are revoked with the removal', async () => {
    const revoked = await api.call('DELETE', `/v1/registries/acme/tokens/${readTokenId}`, { token: users.owner!.token });
    expect(revoked.status).toBe(200);
    expect((await api.call('GET', '/v1/packages/@acme/secret-rules', { token: readToken })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/registries/acme/tokens/${readTokenId}`, { token: users.owner!.token })).status).toBe(404);
    await api.call('DELETE', '/v1/registries/acme/members/member', { token: users.owner!.token });
    expect((await publish(publishToken, '@acme/secret-rules', '1.2.0')).status).toBe(401);
  });

  it('records every change in an append-only audit log that only registry admins read', async () => {
    expect((await api.call('GET', '/v1/registries/acme/audit', { token: users.outsider!.token })).status).toBe(404);
    await api.call('PUT', '/v1/registries/acme/members/outsider', { token: users.owner!.token, json: { role: 'reader' } });
    expect((await api.call('GET', '/v1/registries/acme/audit', { token: users.outsider!.token })).status).toBe(403);
    const log = await api.call('GET', '/v1/registries/acme/audit?limit=100', { token: users.owner!.token });
    expect(log.status).toBe(200);
    const actions = log.body.map((a: { action: string }) => a.action);
    for (const a of ['registry.create', 'registry.update', 'member.set', 'member.remove', 'package.publish', 'token.create', 'token.revoke']) {
      expect(actions, a).toContain(a);
    }
    const viaToken = log.body.find((a: { action: string; target: string }) => a.action === 'package.publish' && a.target === '@acme/secret-rules@1.1.0');
    expect(viaToken).toMatchObject({ actor: 'member', token_id: expect.any(String), source_ip: expect.any(String) });
    const { rows } = await api.server.runtime.deps.db.query<{ id: number }>('SELECT id FROM registry.audit_log LIMIT 1');
    await expect(api.server.runtime.deps.db.query('DELETE FROM registry.audit_log WHERE id = $1', [rows[0]!.id])).rejects.toThrow(/append-only/);
  });
});

describe("a publisher's own scope", () => {
  it('the first publish of @<username>/... creates that registry: public, the publisher its admin, audited', async () => {
    await person('Scoper');
    const r = await publish(users.Scoper!.token, '@scoper/rules', '1.0.0');
    expect(r.status).toBe(201);
    const reg = await api.call('GET', '/v1/registries/scoper', { token: users.Scoper!.token });
    expect(reg.status).toBe(200);
    expect(reg.body).toMatchObject({ name: 'scoper', visibility: 'public', your_role: 'admin', created_by: 'Scoper' });
    const audit = await api.call('GET', '/v1/registries/scoper/audit', { token: users.Scoper!.token });
    expect(audit.body.map((a: { action: string }) => a.action).sort()).toEqual(['package.publish', 'registry.create']);
    expect((await publish(users.Scoper!.token, '@scoper/rules', '1.0.1')).status).toBe(201);
  });

  it('never for another scope, for the user role or through an API token', async () => {
    const foreign = await publish(users.owner!.token, '@anthropic/rules', '1.0.0');
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toContain('POST /v1/registries');
    expect((await publish(users.plain!.token, '@plain/rules', '1.0.0')).status).toBe(404);
    expect((await api.call('GET', '/v1/registries/anthropic', { token: root })).status).toBe(404);
    expect((await api.call('GET', '/v1/registries/plain', { token: root })).status).toBe(404);
  });

  it('counts against the per-user cap', async () => {
    const capped = await publish(users.capper!.token, '@capper/rules', '1.0.0');
    expect(capped.status).toBe(403);
    expect(capped.body.error).toMatch(/limit of 3 registries/);
  });

  it('two first publishes at once create one registry, and both publish', async () => {
    await person('racer');
    const replies = await Promise.all([publish(users.racer!.token, '@racer/a', '1.0.0'), publish(users.racer!.token, '@racer/b', '1.0.0')]);
    expect(replies.map((r) => r.status)).toEqual([201, 201]);
    const audit = await api.call('GET', '/v1/registries/racer/audit', { token: users.racer!.token });
    expect(audit.body.filter((a: { action: string }) => a.action === 'registry.create')).toHaveLength(1);
    const listed = await api.call('GET', '/v1/registries', { token: root });
    expect(listed.body.filter((r: { name: string }) => r.name === 'racer')).toHaveLength(1);
  });
});

describe('package owners and registry rights', () => {
  const owners = (method: 'PUT' | 'DELETE', pkg: string, username: string, token: string) =>
    api.call(method, `/v1/packages/${pkg}/owners/${username}`, { token });

  beforeAll(async () => {
    for (const name of ['teamlead', 'mallory', 'boss-member']) await person(name);
    await person('boss', 'admin');
    expect((await createRegistry(users.teamlead!.token, { name: 'team' })).status).toBe(201);
    for (const [who, role] of [['mallory', 'publisher'], ['boss', 'publisher']] as const) {
      expect((await api.call('PUT', `/v1/registries/team/members/${who}`, { token: users.teamlead!.token, json: { role } })).status).toBe(200);
    }
    expect((await publish(users.mallory!.token, '@team/tool', '1.0.0')).status).toBe(201);
  });

  it("a registry admin manages the owners of the registry's packages without owning them", async () => {
    const added = await owners('PUT', '@team/tool', 'TeamLead', users.teamlead!.token);
    expect(added.status).toBe(200);
    expect(added.body.owners).toEqual(['mallory', 'teamlead']);
    const audit = await api.call('GET', '/v1/registries/team/audit', { token: users.teamlead!.token });
    // The stored spelling, not the requester's.
    expect(audit.body.find((a: { action: string }) => a.action === 'package.owner.add').details).toEqual({ owner: 'teamlead' });
  });

  it('an owner removed from the registry can no longer change owners; only members who may publish can become owners', async () => {
    expect((await owners('PUT', '@team/tool', 'outsider', users.mallory!.token)).status).toBe(400); // not a member of team
    expect((await api.call('DELETE', '/v1/registries/team/members/mallory', { token: users.teamlead!.token })).status).toBe(200);
    const revenge = await owners('DELETE', '@team/tool', 'teamlead', users.mallory!.token);
    expect(revenge.status).toBe(403);
    expect(revenge.body.error).toMatch(/no longer have publishing rights/);
    expect((await owners('PUT', '@team/tool', 'boss', users.mallory!.token)).status).toBe(403);
    const undo = await owners('DELETE', '@team/tool', 'mallory', users.teamlead!.token);
    expect(undo.status).toBe(200);
    expect(undo.body.owners).toEqual(['teamlead']);
  });

  it("an admin's API token carries no admin powers: it publishes only what its creator owns", async () => {
    const t = await api.call('POST', '/v1/registries/team/tokens', { token: users.boss!.token, json: { name: 'boss ci', scopes: ['publish'] } });
    expect(t.status).toBe(201);
    const viaToken = await publish(t.body.token, '@team/tool', '2.0.0');
    expect(viaToken.status).toBe(403);
    expect(viaToken.body.error).toMatch(/not an owner/);
    // Signed in, the same admin may.
    expect((await publish(users.boss!.token, '@team/tool', '2.0.0')).status).toBe(201);
  });

  it('the scope @default is reserved: unscoped names are the default registry', async () => {
    const r = await publish(users.owner!.token, '@default/sneaky', '1.0.0');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/@default is reserved/);
  });
});

describe('caching of a registry that turns private', () => {
  it('public versions and archives are cacheable for minutes with a content ETag; once private, never cached and gone for outsiders', async () => {
    await person('flipper');
    expect((await createRegistry(users.flipper!.token, { name: 'flip' })).status).toBe(201);
    const published = await publish(users.flipper!.token, '@flip/rules', '1.0.0');
    expect(published.status).toBe(201);
    const before = await api.call('GET', '/v1/packages/@flip/rules/versions/1.0.0');
    expect(before.headers.get('cache-control')).toMatch(/^public, .*s-maxage=300, stale-while-revalidate=60$/);
    const blob = await fetch(`${api.url}/v1/blobs/${published.body.sha256}`);
    expect(blob.headers.get('cache-control')).not.toMatch(/immutable|31536000/);

    const reg = await api.call('GET', '/v1/registries/flip', { token: users.flipper!.token });
    const flipped = await api.call('PATCH', '/v1/registries/flip', { token: users.flipper!.token, json: { visibility: 'private' }, headers: { 'if-match': reg.headers.get('etag')! } });
    expect(flipped.status).toBe(200);

    expect((await api.call('GET', '/v1/packages/@flip/rules/versions/1.0.0')).status).toBe(404);
    expect((await api.call('GET', `/v1/blobs/${published.body.sha256}`)).status).toBe(404);
    const member = await api.call('GET', '/v1/packages/@flip/rules/versions/1.0.0', { token: users.flipper!.token });
    expect(member.status).toBe(200);
    expect(member.headers.get('cache-control')).toBe('private, no-store');
    // What the answer shows changed (its visibility), so its ETag did too: a cache revalidating
    // with the old one gets the new answer, not a 304.
    expect(member.headers.get('etag')).not.toBe(before.headers.get('etag'));
    const revalidated = await api.call('GET', '/v1/packages/@flip/rules/versions/1.0.0', { token: users.flipper!.token, headers: { 'if-none-match': before.headers.get('etag')! } });
    expect(revalidated.status).toBe(200);
  });
});
