import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestFor, packageArchive } from '../support/archives.js';
import { expectStatus, ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

// Yank and quarantine against the real local server: who may, what moves (latest, search, the
// version's answer and its ETag, the archive), the audit log, and bad input refused with nothing
// changed.

let api: TestServer;
let root: string;
const password = 'correct horse battery';
const tokens: Record<string, string> = {};

async function person(username: string, role: 'user' | 'publisher') {
  const r = await api.call('POST', '/v1/auth/register', { token: root, json: { username, email: `${username}@example.com`, password, role } });
  expectStatus(r, 201);
  tokens[username] = r.body.token as string;
}

/** Publishes name@version as `rfh publish` does; answers the archive's SHA-256. */
async function publish(token: string, name: string, version: string, rules = `# Rules of ${name}@${version}\n`): Promise<string> {
  const archive = await packageArchive(name, version, { 'rules.md': rules });
  const form = new FormData();
  form.append('manifest', new Blob([JSON.stringify(manifestFor(name, version, ['rules.md']))]), 'rulestack.json');
  form.append('archive', new Blob([new Uint8Array(archive)]), 'package.tgz');
  const res = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
  expect(res.status, await res.clone().text()).toBe(201);
  return createHash('sha256').update(archive).digest('hex');
}

const versionPath = (name: string, version: string, mark: 'yank' | 'quarantine') => `/v1/packages/${name}/versions/${version}/${mark}`;
const mark = (token: string | undefined, name: string, version: string, which: 'yank' | 'quarantine', reason: unknown = 'a reason') =>
  api.call('PUT', versionPath(name, version, which), { ...(token && { token }), json: { reason } });
const unmark = (token: string | undefined, name: string, version: string, which: 'yank' | 'quarantine') =>
  api.call('DELETE', versionPath(name, version, which), token ? { token } : {});
const getPackage = async (name: string, token?: string) => {
  const r = await api.call('GET', `/v1/packages/${name}`, token ? { token } : {});
  expectStatus(r, 200);
  return r.body as { latest: string | null; versions: string[]; yanked_versions: string[]; quarantined_versions: string[]; description: string };
};
const searchNames = async (q: string) => {
  const r = await api.call('GET', `/v1/packages?q=${encodeURIComponent(q)}`);
  expectStatus(r, 200);
  return (r.body as Array<{ name: string; version: string }>).map((x) => `${x.name}@${x.version}`);
};
const audit = async (registry: string, token: string, target: string) => {
  const r = await api.call('GET', `/v1/registries/${registry}/audit?limit=100`, { token });
  expectStatus(r, 200);
  return (r.body as Array<{ action: string; actor: string; target: string; details: Record<string, unknown> }>)
    .filter((a) => a.target === target && a.action.startsWith('version.'))
    .reverse()
    .map((a) => ({ action: a.action, actor: a.actor, details: a.details }));
};

beforeAll(async () => {
  api = await startTestServer();
  root = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
  await person('vm-alice', 'publisher'); // owns the packages
  await person('vm-bob', 'publisher'); // a publisher who owns none of them
  await person('vm-carol', 'user'); // admin of registry vmteam, no global publisher role
  await person('vm-eve', 'user'); // a stranger
  // Registry vmteam (public) with carol as an admin; registry vmvault (private), alice alone.
  expectStatus(await api.call('POST', '/v1/registries', { token: tokens['vm-alice']!, json: { name: 'vmteam' } }), 201);
  expectStatus(await api.call('PUT', '/v1/registries/vmteam/members/vm-carol', { token: tokens['vm-alice']!, json: { role: 'admin' } }), 200);
  expectStatus(await api.call('POST', '/v1/registries', { token: tokens['vm-alice']!, json: { name: 'vmvault', visibility: 'private' } }), 201);
  await publish(tokens['vm-alice']!, 'vm-input', '1.0.0');
});
afterAll(async () => {
  await api?.close();
});

describe('yank', () => {
  it('moves latest off the version, keeps it readable (with its yank, a new ETag) and installable; unyank moves latest back', async () => {
    const alice = tokens['vm-alice']!;
    await publish(alice, 'vm-moving', '1.0.0');
    const sha = await publish(alice, 'vm-moving', '1.1.0');
    const before = await api.call('GET', '/v1/packages/vm-moving/versions/1.1.0');
    expect(before.body).toMatchObject({ version: '1.1.0', yanked: null, quarantine: null });
    const etagBefore = before.headers.get('etag')!;

    const yanked = await mark(alice, 'vm-moving', '1.1.0', 'yank', '  Breaks on Windows  ');
    expectStatus(yanked, 200);
    expect(yanked.headers.get('cache-control')).toBe('no-store');
    expect(yanked.body).toMatchObject({ name: 'vm-moving', version: '1.1.0', yanked: { reason: 'Breaks on Windows', by: 'vm-alice' }, quarantine: null });
    expect(Date.parse(yanked.body.yanked.at)).not.toBeNaN();

    expect(await getPackage('vm-moving')).toMatchObject({ latest: '1.0.0', versions: ['1.1.0', '1.0.0'], yanked_versions: ['1.1.0'], quarantined_versions: [] });
    expect(await searchNames('vm-moving')).toEqual(['vm-moving@1.0.0']);
    const after = await api.call('GET', '/v1/packages/vm-moving/versions/1.1.0', { headers: { 'if-none-match': etagBefore } });
    expectStatus(after, 200);
    expect(after.body.yanked).toEqual(yanked.body.yanked);
    expect(after.headers.get('etag')).not.toBe(etagBefore);
    // Lockfiles naming it keep installing: the archive is still served.
    const blob = await fetch(`${api.url}/v1/blobs/${sha}`);
    expect(blob.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await blob.arrayBuffer())).digest('hex')).toBe(sha);

    const back = await unmark(alice, 'vm-moving', '1.1.0', 'yank');
    expectStatus(back, 200);
    expect(back.body.yanked).toBeNull();
    expect(await getPackage('vm-moving')).toMatchObject({ latest: '1.1.0', yanked_versions: [] });
    expect(await searchNames('vm-moving')).toEqual(['vm-moving@1.1.0']);
  });

  it('takes a package whose every version is yanked out of search (latest null), and a new publish brings it back', async () => {
    const alice = tokens['vm-alice']!;
    await publish(alice, 'vm-gone', '1.0.0');
    expect(await searchNames('vm-gone')).toEqual(['vm-gone@1.0.0']);
    expectStatus(await mark(alice, 'vm-gone', '1.0.0', 'yank'), 200);
    expect(await searchNames('vm-gone')).toEqual([]);
    expect(await getPackage('vm-gone')).toMatchObject({ latest: null, versions: ['1.0.0'], yanked_versions: ['1.0.0'] });
    expectStatus(await api.call('GET', '/v1/packages/vm-gone/versions/1.0.0'), 200);
    // A publish computes latest without yanked versions: the lower new one becomes latest.
    await publish(alice, 'vm-gone', '0.9.0');
    expect(await getPackage('vm-gone')).toMatchObject({ latest: '0.9.0', yanked_versions: ['1.0.0'] });
    expect(await searchNames('vm-gone')).toEqual(['vm-gone@0.9.0']);
  });

  it('is idempotent: a second yank answers 200 with the first record, unyanking twice is a 200 too; only changes are audited', async () => {
    const alice = tokens['vm-alice']!;
    await publish(alice, '@vmteam/twice', '1.0.0');
    const first = await mark(alice, '@vmteam/twice', '1.0.0', 'yank', 'first');
    const second = await mark(tokens['vm-carol'], '@vmteam/twice', '1.0.0', 'yank', 'second');
    expectStatus(second, 200);
    expect(second.body.yanked).toEqual(first.body.yanked);
    expectStatus(await unmark(alice, '@vmteam/twice', '1.0.0', 'yank'), 200);
    const again = await unmark(alice, '@vmteam/twice', '1.0.0', 'yank');
    expectStatus(again, 200);
    expect(again.body.yanked).toBeNull();
    expect(await audit('vmteam', alice, '@vmteam/twice@1.0.0')).toEqual([
      { action: 'version.yank', actor: 'vm-alice', details: { reason: 'first' } },
      { action: 'version.unyank', actor: 'vm-alice', details: { previous_reason: 'first' } },
    ]);
  });

  it('is for the owners, the admins of the registry and admins: a stranger 403, anonymous 401, a private package 404', async () => {
    const alice = tokens['vm-alice']!;
    await publish(alice, '@vmteam/rules', '1.0.0');
    await publish(alice, '@vmteam/rules', '1.1.0');
    const refused = [
      [undefined, 401],
      [tokens['vm-eve'], 403],
      [tokens['vm-bob'], 403],
    ] as const;
    for (const [token, status] of refused) {
      const r = await mark(token, '@vmteam/rules', '1.1.0', 'yank');
      expectStatus(r, status);
      expect(typeof r.body.error).toBe('string');
      expectStatus(await unmark(token, '@vmteam/rules', '1.1.0', 'yank'), status);
    }
    expect((await getPackage('@vmteam/rules')).latest).toBe('1.1.0');

    // carol administers the registry without owning the package or having the publisher role.
    const byRegistryAdmin = await mark(tokens['vm-carol'], '@vmteam/rules', '1.1.0', 'yank', 'registry admin');
    expectStatus(byRegistryAdmin, 200);
    expect(byRegistryAdmin.body.yanked.by).toBe('vm-carol');
    expectStatus(await unmark(root, '@vmteam/rules', '1.1.0', 'yank'), 200);
    expect(await audit('vmteam', alice, '@vmteam/rules@1.1.0')).toEqual([
      { action: 'version.yank', actor: 'vm-carol', details: { reason: 'registry admin' } },
      { action: 'version.unyank', actor: 'root', details: { previous_reason: 'registry admin' } },
    ]);

    await publish(alice, '@vmvault/secret', '1.0.0');
    for (const token of [tokens['vm-eve']!, tokens['vm-bob']!]) {
      const hidden = await mark(token, '@vmvault/secret', '1.0.0', 'yank');
      expectStatus(hidden, 404);
      expect(hidden.body.error).toBe('Package @vmvault/secret not found');
    }
    expectStatus(await mark(alice, '@vmvault/secret', '1.0.0', 'yank', 'private, by its owner'), 200);
    expect((await getPackage('@vmvault/secret', alice)).yanked_versions).toEqual(['1.0.0']);
    // Through the escaped form of the name as well.
    expectStatus(await unmark(alice, '%40vmvault%2Fsecret', '1.0.0', 'yank'), 200);
  });

  it('answers 404 for a version or package that does not exist', async () => {
    const alice = tokens['vm-alice']!;
    await publish(alice, 'vm-exists', '1.0.0');
    const noVersion = await mark(alice, 'vm-exists', '9.9.9', 'yank');
    expectStatus(noVersion, 404);
    expect(noVersion.body.error).toBe('Version vm-exists@9.9.9 not found');
    expectStatus(await mark(alice, 'vm-never-published', '1.0.0', 'yank'), 404);
    expectStatus(await mark(root, 'vm-exists', '9.9.9', 'quarantine'), 404);
  });

  it.each([
    ['no reason', {}, /^Invalid reason: is required/],
    ['an empty reason', { reason: '' }, /^Invalid reason: is required: say why$/],
    ['a blank reason', { reason: ' \n\t ' }, /^Invalid reason: is required: say why$/],
    ['a reason of 501 characters', { reason: 'x'.repeat(501) }, /^Invalid reason: must be at most 500 characters$/],
    ['a reason that is not a string', { reason: 42 }, /^Invalid reason: is required: a string saying why$/],
    ['a reason with a NUL', { reason: 'leaked\u0000key' }, /^Invalid reason: must not contain control characters/],
    ['a reason with a lone surrogate', { reason: 'bad \ud800' }, /^Invalid reason: must be valid Unicode text/],
  ])('refuses %s with a 400 and changes nothing', async (_what, body, message) => {
    const alice = tokens['vm-alice']!;
    for (const which of ['yank', 'quarantine'] as const) {
      const r = await api.call('PUT', versionPath('vm-input', '1.0.0', which), { token: which === 'yank' ? alice : root, json: body });
      expectStatus(r, 400);
      expect(r.body.error).toMatch(message);
    }
    const v = await api.call('GET', '/v1/packages/vm-input/versions/1.0.0');
    expect(v.body).toMatchObject({ yanked: null, quarantine: null });
    expect(await audit('default', root, 'vm-input@1.0.0')).toEqual([]);
  });

  it('refuses a missing body, malformed JSON and a body that is not JSON', async () => {
    const alice = tokens['vm-alice']!;
    await publish(alice, 'vm-bodies', '1.0.0');
    const path = versionPath('vm-bodies', '1.0.0', 'yank');
    expectStatus(await api.call('PUT', path, { token: alice }), 400);
    expectStatus(await api.call('PUT', path, { token: alice, body: '{"reason":', headers: { 'content-type': 'application/json' } }), 400);
    expectStatus(await api.call('PUT', path, { token: alice, body: 'reason=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    expectStatus(await api.call('PUT', path, { token: alice, json: { reason: 'x'.repeat(17 * 1024) } }), 413);
    expect((await api.call('GET', '/v1/packages/vm-bodies/versions/1.0.0')).body.yanked).toBeNull();
  });
});

describe('quarantine', () => {
  it("stops serving the archive (410, saying why), shows when and why but not who, leaves latest; release serves it again", async () => {
    const alice = tokens['vm-alice']!;
    await publish(alice, 'vm-leaky', '1.0.0');
    const sha = await publish(alice, 'vm-leaky', '1.1.0');
    const etagBefore = (await api.call('GET', '/v1/packages/vm-leaky/versions/1.1.0')).headers.get('etag');

    const q = await mark(root, 'vm-leaky', '1.1.0', 'quarantine', 'Contains a live AWS key');
    expectStatus(q, 200);
    expect(q.body.quarantine).toEqual({ at: expect.any(String), reason: 'Contains a live AWS key' });
    expect(q.body.yanked).toBeNull();

    const blob = await api.call('GET', `/v1/blobs/${sha}`);
    expectStatus(blob, 410);
    expect(blob.headers.get('content-type')).toMatch(/^application\/json/);
    expect(blob.headers.get('cache-control')).toBe('no-store');
    expect(blob.body).toEqual({ error: `The archive with SHA-256 ${sha} is quarantined and no longer served: vm-leaky@1.1.0 (Contains a live AWS key)` });
    // For a signed-in caller, its owner and an admin alike.
    expectStatus(await api.call('GET', `/v1/blobs/${sha}`, { token: alice }), 410);
    expectStatus(await api.call('GET', `/v1/blobs/${sha}`, { token: root }), 410);

    const v = await api.call('GET', '/v1/packages/vm-leaky/versions/1.1.0');
    expectStatus(v, 200);
    expect(v.body.quarantine).toEqual(q.body.quarantine);
    expect(v.headers.get('etag')).not.toBe(etagBefore);
    expect(await getPackage('vm-leaky')).toMatchObject({ latest: '1.0.0', quarantined_versions: ['1.1.0'], yanked_versions: [] });
    expect(await searchNames('vm-leaky')).toEqual(['vm-leaky@1.0.0']);

    const released = await unmark(root, 'vm-leaky', '1.1.0', 'quarantine');
    expectStatus(released, 200);
    expect(released.body.quarantine).toBeNull();
    expectStatus(await api.call('GET', `/v1/blobs/${sha}`), 200);
    expect((await getPackage('vm-leaky')).latest).toBe('1.1.0');
    expect((await api.call('GET', '/v1/packages/vm-leaky/versions/1.1.0')).headers.get('etag')).toBe(etagBefore);
    expect(await audit('default', root, 'vm-leaky@1.1.0')).toEqual([
      { action: 'version.quarantine', actor: 'root', details: { reason: 'Contains a live AWS key' } },
      { action: 'version.release', actor: 'root', details: { previous_reason: 'Contains a live AWS key' } },
    ]);
  });

  it('is for global admins only: owners and registry admins 403, anonymous 401; the scoped alias works', async () => {
    const alice = tokens['vm-alice']!;
    const sha = await publish(alice, '@vmteam/leak', '1.0.0');
    for (const [token, status] of [[undefined, 401], [alice, 403], [tokens['vm-carol'], 403], [tokens['vm-eve'], 403]] as const) {
      expectStatus(await mark(token, '@vmteam/leak', '1.0.0', 'quarantine'), status);
      expectStatus(await unmark(token, '@vmteam/leak', '1.0.0', 'quarantine'), status);
    }
    expectStatus(await api.call('GET', `/v1/blobs/${sha}`), 200);
    expectStatus(await mark(root, '@vmteam/leak', '1.0.0', 'quarantine', 'token in rules.md'), 200);
    expectStatus(await api.call('GET', `/v1/blobs/${sha}`), 410);
    // The owner cannot lift it, nor get around it with a yank and unyank.
    expectStatus(await unmark(alice, '@vmteam/leak', '1.0.0', 'quarantine'), 403);
    expectStatus(await mark(alice, '@vmteam/leak', '1.0.0', 'yank'), 200);
    expectStatus(await unmark(alice, '@vmteam/leak', '1.0.0', 'yank'), 200);
    expectStatus(await api.call('GET', `/v1/blobs/${sha}`), 410);
    expect((await getPackage('@vmteam/leak')).latest).toBeNull();
    expectStatus(await unmark(root, '@vmteam/leak', '1.0.0', 'quarantine'), 200);
    expectStatus(await api.call('GET', `/v1/blobs/${sha}`), 200);
    // The registry's audit log has it all, in order.
    expect((await audit('vmteam', alice, '@vmteam/leak@1.0.0')).map((a) => `${a.action} by ${a.actor}`)).toEqual([
      'version.quarantine by root',
      'version.yank by vm-alice',
      'version.unyank by vm-alice',
      'version.release by root',
    ]);
  });

  it('is documented in the OpenAPI document with the bounded reason', async () => {
    const doc = (await api.call('GET', '/v1/openapi.json')).body;
    for (const path of ['/v1/packages/{name}/versions/{version}/yank', '/v1/packages/{name}/versions/{version}/quarantine']) {
      const reason = doc.paths[path].put.requestBody.content['application/json'].schema.properties.reason;
      expect(reason).toMatchObject({ type: 'string', minLength: 1, maxLength: 500 });
      expect(Object.keys(doc.paths[path]).sort()).toEqual(['delete', 'put']);
    }
    const version = doc.paths['/v1/packages/{name}/versions/{version}'].get.responses['2XX'].content['application/json'].schema;
    // Never who quarantined it; who yanked it, yes.
    expect(version.properties.quarantine.anyOf).toEqual([expect.objectContaining({ type: 'object', required: ['at', 'reason'] }), { type: 'null' }]);
    expect(version.properties.yanked.anyOf[0].required).toEqual(['at', 'reason', 'by']);
    const pkg = doc.paths['/v1/packages/{name}'].get.responses['2XX'].content['application/json'].schema;
    expect(pkg.properties.versions).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(pkg.properties.yanked_versions).toMatchObject({ type: 'array', items: { type: 'string' } });
  });
});
