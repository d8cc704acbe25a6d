import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessSideEffectQueue } from '../../shared/sideEffects/InProcessSideEffectQueue.js';
import { searchRows } from '../../shared/schemas/responses.js';
import { archiveOf, file, gzipMember, tarOf, tgzOf } from '../support/archives.js';
import { ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

let api: TestServer;
let rootToken: string;
let alice: string; // publisher
let bob: string; // publisher
let carol: string; // plain user
const password = 'correct horse battery';

async function publisher(name: string): Promise<string> {
  const r = await api.call('POST', '/v1/auth/register', {
    token: rootToken,
    json: { username: name, email: `${name}@example.com`, password, role: 'publisher' },
  });
  expect(r.status).toBe(201);
  return r.body.token;
}

/** POST /v1/packages as `rfh publish` does: two file parts, manifest and archive. */
async function publish(token: string | undefined, manifest: unknown, archive: Uint8Array) {
  const form = new FormData();
  form.append('manifest', new Blob([typeof manifest === 'string' ? manifest : JSON.stringify(manifest)], { type: 'application/octet-stream' }), 'rulestack.json');
  form.append('archive', new Blob([Buffer.from(archive)], { type: 'application/octet-stream' }), 'package.tgz');
  const res = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const manifestFor = (name: string, version: string, extra: Record<string, unknown> = {}) => ({
  name,
  version,
  description: `${name} rules`,
  targets: ['cursor'],
  tags: ['security'],
  files: ['rules.md'],
  ...extra,
});

/** The archive rfh pack makes for manifestFor(name, version, extra): that manifest as rulestack.json, and the files. */
const archiveFor = (name: string, version: string, extra: Record<string, unknown> = {}, files: Record<string, string> = { 'rules.md': '# Rules\n' }) =>
  archiveOf(manifestFor(name, version, { files: Object.keys(files), ...extra }), files);

async function publishOk(token: string, name: string, version: string, extra: Record<string, unknown> = {}, files?: Record<string, string>) {
  const archive = await archiveFor(name, version, extra, files);
  const r = await publish(token, manifestFor(name, version, { ...(files && { files: Object.keys(files) }), ...extra }), archive);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { ...r, archive };
}

beforeAll(async () => {
  api = await startTestServer();
  rootToken = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
  alice = await publisher('alice');
  bob = await publisher('bob');
  carol = (await api.registerUser('carol')).token;
});
afterAll(async () => {
  await api?.close();
});

describe('publish', () => {
  it('publishes, then serves the package, the version and the exact archive bytes', async () => {
    const { body, archive } = await publishOk(alice, 'secure-coding', '1.0.0');
    const sha = createHash('sha256').update(archive).digest('hex');
    expect(body).toEqual({ id: expect.any(Number), name: 'secure-coding', version: '1.0.0', sha256: sha, size: archive.length });

    const v = await api.call('GET', '/v1/packages/secure-coding/versions/1.0.0');
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ name: 'secure-coding', version: '1.0.0', sha256: sha, size_bytes: archive.length, size: archive.length, targets: ['cursor'], tags: ['security'] });
    for (const k of ['id', 'package_id', 'description', 'created_at', 'published_at']) expect(v.body).toHaveProperty(k);
    // Shared caches keep a version 5 minutes (+1 stale): its registry may turn private.
    expect(v.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=300, stale-while-revalidate=60');
    const etag = v.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const again = await api.call('GET', '/v1/packages/secure-coding/versions/1.0.0', { headers: { 'if-none-match': `W/"x", ${etag}` } });
    expect(again.status).toBe(304);

    const blob = await fetch(`${api.url}/v1/blobs/${sha}`);
    expect(blob.status).toBe(200);
    expect(blob.headers.get('content-type')).toBe('application/gzip');
    expect(blob.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=300, stale-while-revalidate=60');
    const bytes = Buffer.from(await blob.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha);

    const p = await api.call('GET', '/v1/packages/secure-coding');
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ name: 'secure-coding', latest: '1.0.0', versions: ['1.0.0'], tags: ['security'], targets: ['cursor'], owners: ['alice'] });
    expect(Date.parse(p.body.updated_at)).not.toBeNaN();
  });

  it('orders versions by semver and keeps latest on the highest release', async () => {
    for (const v of ['1.2.0', '1.10.0', '1.9.0', '2.0.0-beta1']) await publishOk(alice, 'ordering', v, { description: `desc ${v}` });
    const p = await api.call('GET', '/v1/packages/ordering');
    expect(p.body.versions).toEqual(['2.0.0-beta1', '1.10.0', '1.9.0', '1.2.0']);
    expect(p.body.latest).toBe('1.10.0');
    expect(p.body.description).toBe('desc 1.10.0');
  });

  it('supports scoped names, unescaped in the path as the client sends them', async () => {
    const missing = await publish(alice, manifestFor('@acme/team-rules', '0.1.0'), await archiveFor('@acme/team-rules', '0.1.0'));
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/Registry "acme" does not exist/);
    expect((await api.call('POST', '/v1/registries', { token: alice, json: { name: 'acme' } })).status).toBe(201);
    const { body } = await publishOk(alice, '@acme/team-rules', '0.1.0');
    expect(body.name).toBe('@acme/team-rules');
    const p = await api.call('GET', '/v1/packages/@acme/team-rules');
    expect(p.status).toBe(200);
    expect(p.body.name).toBe('@acme/team-rules');
    const v = await api.call('GET', '/v1/packages/@acme/team-rules/versions/0.1.0');
    expect(v.status).toBe(200);
    expect(v.body.sha256).toBe(body.sha256);
    const escaped = await api.call('GET', '/v1/packages/%40acme%2Fteam-rules');
    expect(escaped.status).toBe(200);
    expect((await api.call('GET', '/v1/packages/@acme/team-rules/owners')).body.owners).toEqual(['alice']);
    expect((await api.call('GET', '/v1/packages/acme/team-rules')).status).toBe(404);
  });

  it('refuses a second publish of name@version (409) but answers an identical retry with 200', async () => {
    const { archive, body } = await publishOk(alice, 'immutable', '1.0.0');
    const retry = await publish(alice, manifestFor('immutable', '1.0.0'), archive);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(body);
    const other = await archiveFor('immutable', '1.0.0', {}, { 'rules.md': '# Different\n' });
    const clash = await publish(alice, manifestFor('immutable', '1.0.0'), other);
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatch(/already published/);
    // The blob of the refused publish is not served: the version still points at the first bytes.
    const v = await api.call('GET', '/v1/packages/immutable/versions/1.0.0');
    expect(v.body.sha256).toBe(body.sha256);
    const sha2 = createHash('sha256').update(other).digest('hex');
    expect((await api.call('GET', `/v1/blobs/${sha2}`)).status).toBe(404);
  });

  it('ten concurrent publishes of one new version: exactly one 201, the rest 409', async () => {
    const archives = await Promise.all(Array.from({ length: 10 }, (_, i) => archiveFor('race-pkg', '1.0.0', {}, { 'rules.md': `# take ${i}\n` })));
    const replies = await Promise.all(archives.map((a) => publish(alice, manifestFor('race-pkg', '1.0.0'), a)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    const winner = replies.find((r) => r.status === 201)!.body.sha256;
    expect((await api.call('GET', '/v1/packages/race-pkg/versions/1.0.0')).body.sha256).toBe(winner);
  });

  it('concurrent first publishes of one name by two users: one owns it, the other is refused', async () => {
    const [a, b] = await Promise.all([
      archiveFor('contested', '1.0.0').then((x) => publish(alice, manifestFor('contested', '1.0.0'), x)),
      archiveFor('contested', '1.1.0').then((x) => publish(bob, manifestFor('contested', '1.1.0'), x)),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 403]);
    const p = await api.call('GET', '/v1/packages/contested');
    expect(p.body.owners).toHaveLength(1);
    expect(p.body.versions).toHaveLength(1);
  });

  it('requires a token (401) and the publisher role (403)', async () => {
    const archive = await archiveFor('nobody-pkg', '1.0.0');
    expect((await publish(undefined, manifestFor('nobody-pkg', '1.0.0'), archive)).status).toBe(401);
    const asUser = await publish(carol, manifestFor('nobody-pkg', '1.0.0'), archive);
    expect(asUser.status).toBe(403);
    expect((await api.call('GET', '/v1/packages/nobody-pkg')).status).toBe(404);
  });

  it.each([
    ['a bad name', manifestFor('Bad Name', '1.0.0'), /manifest\.name/],
    ['a bad version', manifestFor('okpkg', '1.0'), /manifest\.version/],
    ['too many tags', manifestFor('okpkg', '1.0.0', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), /manifest\.tags/],
    ['a reserved name', manifestFor('@acme/owners', '1.0.0'), /reserved/],
    ['a manifest that is not JSON', '{"name":', /not valid JSON/],
  ])('refuses %s with a clear 400 and stores nothing', async (_what, manifest, message) => {
    const archive = await archiveFor('okpkg', '1.0.0');
    const r = await publish(alice, manifest, archive);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(message);
    expect((await api.call('GET', '/v1/packages/okpkg')).status).toBe(404);
  });

  it('refuses hostile archives and archives that disagree with the manifest', async () => {
    const traversal = await tgzOf([file('rulestack.json', JSON.stringify({ name: 'evil', version: '1.0.0' })), file('../escape.md')]);
    const r1 = await publish(alice, manifestFor('evil', '1.0.0'), traversal);
    expect(r1.status).toBe(400);
    expect(r1.body.error).toMatch(/Archive rejected/);
    const mismatch = await archiveFor('other-name', '1.0.0');
    const r2 = await publish(alice, manifestFor('evil', '1.0.0'), mismatch);
    expect(r2.status).toBe(400);
    expect(r2.body.error).toMatch(/name/);
    const notGzip = await publish(alice, manifestFor('evil', '1.0.0'), Buffer.from('just text'));
    expect(notGzip.status).toBe(400);
    expect((await api.call('GET', '/v1/packages/evil')).status).toBe(404);
  });

  it("stores and shows the archive's own rulestack.json, and refuses a form manifest that contradicts it", async () => {
    const own = { name: 'style-guide', version: '1.0.0', description: 'steals your secrets', targets: ['windsurf'], tags: ['exfil'], files: ['rules.md'] };
    const archive = await archiveOf(own, { 'rules.md': '# Rules\n' });
    const lie = await publish(alice, { ...own, description: 'Harmless style guide', targets: ['cursor'] }, archive);
    expect(lie.status).toBe(400);
    expect(lie.body.error).toMatch(/^Archive rejected: rulestack\.json does not match the manifest: description is "steals your secrets" in the archive but "Harmless style guide" in the manifest; targets are \["windsurf"\] in the archive but \["cursor"\] in the manifest$/);
    expect((await api.call('GET', '/v1/packages/style-guide')).status).toBe(404);

    // A form that states less than the archive: what the archive says is what is stored and shown.
    expect((await publish(alice, { name: 'style-guide', version: '1.0.0', files: ['rules.md'] }, archive)).status).toBe(201);
    const v = await api.call('GET', '/v1/packages/style-guide/versions/1.0.0');
    expect(v.body).toMatchObject({ description: 'steals your secrets', targets: ['windsurf'], tags: ['exfil'] });
    expect((await api.call('GET', '/v1/packages/style-guide')).body).toMatchObject({ description: 'steals your secrets', targets: ['windsurf'] });
  });

  it('refuses an archive with a file its rulestack.json does not list', async () => {
    const archive = await archiveOf(manifestFor('unlisted', '1.0.0'), { 'rules.md': '# Rules\n', 'payload.md': '# Surprise\n' });
    const r = await publish(alice, manifestFor('unlisted', '1.0.0'), archive);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^Archive rejected: "payload\.md" is not covered by the files of rulestack\.json \(\["rules\.md"\]\)/);
  });

  it('refuses versions that are not Semantic Versioning 2.0.0, and versions equal in precedence to a published one', async () => {
    for (const version of ['01.0.0', '0001.00.000', '1.0.0-01']) {
      const r = await publish(alice, manifestFor('precedence', version), await archiveFor('precedence', version));
      expect(r.status, version).toBe(400);
      expect(r.body.error).toMatch(/^Invalid manifest\.version: must be a semantic version \(semver\.org\)/);
    }
    const beta1 = await publish(alice, manifestFor('precedence', '1.0.0-beta.1'), await archiveFor('precedence', '1.0.0-beta.1'));
    expect(beta1.status).toBe(400);
    await publishOk(alice, 'precedence', '1.0.0');
    const twin = await publish(alice, manifestFor('precedence', '1.0.0+evil'), await archiveFor('precedence', '1.0.0+evil'));
    expect(twin.status).toBe(409);
    expect(twin.body.error).toMatch(/^precedence@1\.0\.0\+evil is equal in precedence to the published version 1\.0\.0: /);
    const p = await api.call('GET', '/v1/packages/precedence');
    expect(p.body).toMatchObject({ latest: '1.0.0', versions: ['1.0.0'] });
  });

  it('refuses archives whose paths would collide when extracted, and gzip headers that carry data', async () => {
    const manifest = manifestFor('collide', '1.0.0', { files: ['**'] });
    const twins = await tgzOf([file('rulestack.json', JSON.stringify(manifest)), file('README.md'), file('readme.md')]);
    const r1 = await publish(alice, manifest, twins);
    expect(r1.status).toBe(400);
    expect(r1.body.error).toMatch(/^Archive rejected: "readme\.md" and "README\.md" would overwrite each other when extracted on macOS or Windows/);
    const device = await tgzOf([file('rulestack.json', JSON.stringify(manifest)), file('rules/CON.md')]);
    expect((await publish(alice, manifest, device)).body.error).toMatch(/reserved device name on Windows/);
    const commented = gzipMember(await tarOf([file('rulestack.json', JSON.stringify(manifest)), file('rules.md')]), { comment: 'x'.repeat(1_000_000) });
    const r3 = await publish(alice, manifest, commented);
    expect(r3.status).toBe(400);
    expect(r3.body.error).toMatch(/^Archive rejected: its gzip header carries a comment/);
    expect((await api.call('GET', '/v1/packages/collide')).status).toBe(404);
  });

  it('refuses malformed forms: not multipart (415), missing parts and extra parts (400), oversized (413)', async () => {
    const json = await api.call('POST', '/v1/packages', { token: alice, json: { name: 'x' } });
    expect(json.status).toBe(415);
    const onlyManifest = new FormData();
    onlyManifest.append('manifest', new Blob([JSON.stringify(manifestFor('x', '1.0.0'))]), 'm.json');
    const r = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: onlyManifest, headers: { authorization: `Bearer ${alice}` } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/archive/);
    const huge = new FormData();
    huge.append('manifest', new Blob([JSON.stringify(manifestFor('x', '1.0.0'))]), 'm.json');
    huge.append('archive', new Blob([Buffer.alloc(7 * 1024 * 1024)]), 'a.tgz');
    const big = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: huge, headers: { authorization: `Bearer ${alice}` } });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/too large/i);
  });
});

describe('owners', () => {
  it('lets owners and admins manage owners; never removes the last one', async () => {
    await publishOk(alice, 'owned', '1.0.0');
    // Bob is no owner: he can neither publish nor change owners.
    const bobPublish = await publish(bob, manifestFor('owned', '1.1.0'), await archiveFor('owned', '1.1.0'));
    expect(bobPublish.status).toBe(403);
    expect((await api.call('PUT', '/v1/packages/owned/owners/bob', { token: bob })).status).toBe(403);
    // A plain user cannot become an owner.
    const toCarol = await api.call('PUT', '/v1/packages/owned/owners/carol', { token: alice });
    expect(toCarol.status).toBe(400);
    expect((await api.call('PUT', '/v1/packages/owned/owners/nobody-at-all', { token: alice })).status).toBe(404);
    const add = await api.call('PUT', '/v1/packages/owned/owners/bob', { token: alice });
    expect(add.status).toBe(200);
    expect(add.body.owners).toEqual(['alice', 'bob']);
    expect((await publish(bob, manifestFor('owned', '1.1.0'), await archiveFor('owned', '1.1.0'))).status).toBe(201);
    const removeAlice = await api.call('DELETE', '/v1/packages/owned/owners/alice', { token: bob });
    expect(removeAlice.status).toBe(200);
    expect(removeAlice.body.owners).toEqual(['bob']);
    const last = await api.call('DELETE', '/v1/packages/owned/owners/bob', { token: bob });
    expect(last.status).toBe(409);
    // Admins may manage any package.
    expect((await api.call('PUT', '/v1/packages/owned/owners/alice', { token: rootToken })).status).toBe(200);
  });

  it('two owners removing each other at once: one succeeds, one owner remains', async () => {
    await publishOk(alice, 'duel', '1.0.0');
    await api.call('PUT', '/v1/packages/duel/owners/bob', { token: alice });
    const [a, b] = await Promise.all([
      api.call('DELETE', '/v1/packages/duel/owners/bob', { token: alice }),
      api.call('DELETE', '/v1/packages/duel/owners/alice', { token: bob }),
    ]);
    expect([a.status, b.status].filter((s) => s === 200)).toHaveLength(1);
    const owners = (await api.call('GET', '/v1/packages/duel/owners')).body.owners;
    expect(owners).toHaveLength(1);
  });
});

describe('download counts', () => {
  it('counts blob downloads off the request path, a client once per version per hour, and shows them in reads', async () => {
    const { body } = await publishOk(alice, 'counted', '1.0.0');
    for (let i = 0; i < 3; i++) expect((await fetch(`${api.url}/v1/blobs/${body.sha256}`)).status).toBe(200);
    await (api.server.runtime.deps.sideEffects as InProcessSideEffectQueue).drain();
    expect((await api.call('GET', '/v1/packages/counted/versions/1.0.0')).body.downloads).toBe(1);
    expect((await api.call('GET', '/v1/packages/counted')).body.downloads).toBe(1);
  });
});

describe('reads', () => {
  it('answers 404 with a message for unknown packages, versions and blobs; 400 for a bad hash', async () => {
    const p = await api.call('GET', '/v1/packages/no-such-package');
    expect(p.status).toBe(404);
    expect(p.body.error).toMatch(/no-such-package/);
    expect((await api.call('GET', '/v1/packages/secure-coding/versions/9.9.9')).status).toBe(404);
    expect((await api.call('GET', `/v1/blobs/${'a'.repeat(64)}`)).status).toBe(404);
    const bad = await api.call('GET', '/v1/blobs/not-a-hash');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/SHA-256/);
  });
});

describe('search', () => {
  beforeAll(async () => {
    await publishOk(alice, 'react-hooks-rules', '1.0.0', { description: 'Conventions for React hooks', tags: ['react', 'frontend'], targets: ['cursor'] });
    await publishOk(alice, 'react-hooks-rules', '1.1.0', { description: 'Conventions for React hooks and effects', tags: ['react', 'frontend'], targets: ['cursor'] });
    await publishOk(alice, 'python-style', '2.0.0', { description: 'PEP 8 and typing rules', tags: ['python'], targets: ['claude-code'] });
    await publishOk(alice, 'go-errors', '0.3.0', { description: 'Error wrapping for react_ish Go', tags: ['go'], targets: ['cursor', 'claude-code'] });
  });

  it('returns one row per package with its latest version, name matches first', async () => {
    const r = await api.call('GET', '/v1/packages?q=react');
    expect(r.status).toBe(200);
    const names = r.body.map((p: { name: string }) => p.name);
    expect(names[0]).toBe('react-hooks-rules');
    expect(names.filter((n: string) => n === 'react-hooks-rules')).toHaveLength(1);
    expect(r.body[0]).toMatchObject({ version: '1.1.0', latest: '1.1.0', versions: ['1.1.0', '1.0.0'], description: 'Conventions for React hooks and effects' });
    for (const k of ['id', 'targets', 'tags', 'created_at', 'updated_at']) expect(r.body[0]).toHaveProperty(k);
  });

  it('finds by description words and by near-miss names, filters by tag and target', async () => {
    expect((await api.call('GET', '/v1/packages?q=typing')).body.map((p: { name: string }) => p.name)).toEqual(['python-style']);
    expect((await api.call('GET', '/v1/packages?q=pyton-style')).body[0]?.name).toBe('python-style');
    const tagged = await api.call('GET', '/v1/packages?tag=go');
    expect(tagged.body.map((p: { name: string }) => p.name)).toEqual(['go-errors']);
    const target = await api.call('GET', '/v1/packages?target=claude-code');
    expect(target.body.map((p: { name: string }) => p.name).sort()).toEqual(['go-errors', 'python-style']);
    const both = await api.call('GET', '/v1/packages?q=react&target=claude-code');
    expect(both.body.map((p: { name: string }) => p.name)).not.toContain('react-hooks-rules');
  });

  it('treats hostile input as text and answers [] when nothing matches', async () => {
    for (const q of ["'; DROP TABLE registry.packages; --", '%', '_', '\\', '%_%', '"unbalanced', '!!!', 'a & | ! ( )']) {
      const r = await api.call('GET', `/v1/packages?q=${encodeURIComponent(q)}`);
      expect(r.status, q).toBe(200);
      expect(Array.isArray(r.body)).toBe(true);
      expect(r.body.some((p: { name: string }) => p.name === 'secure-coding'), q).toBe(false);
    }
    expect((await api.call('GET', '/v1/packages?q=zzzzzzzz')).body).toEqual([]);
    expect((await api.call('GET', `/v1/packages?q=${'x'.repeat(300)}`)).status).toBe(400);
    expect((await api.call('GET', '/v1/packages')).body.length).toBeGreaterThan(3);
  });

  it("finds packages by the text of their files, below name hits, with the matched words to highlight", async () => {
    const guard = '---\ndescription: Guards\n---\n\nAlways sanitize <input> before rendering it;   sanitizers exist for that.\n';
    await publishOk(alice, 'cursor-guards', '1.0.0', { description: 'Guards for forms' }, { 'rules/guard.mdc': guard, 'README.md': '# Nothing to see' });
    await publishOk(alice, 'sanitize-all', '1.0.0', { description: 'Escaping' });
    const r = await api.call('GET', '/v1/packages?q=sanitize');
    expect(r.status).toBe(200);
    expect(searchRows.safeParse(r.body).success).toBe(true);
    expect(r.body.map((p: { name: string }) => p.name)).toEqual(['sanitize-all', 'cursor-guards']);
    expect(r.body[0].matches).toEqual([]);
    const [match] = r.body[1].matches as Array<{ path: string; snippet: string; highlights: Array<[number, number]> }>;
    expect(r.body[1].matches).toHaveLength(1);
    expect(match!.path).toBe('rules/guard.mdc');
    expect(match!.snippet).toContain('sanitize <input> before rendering it; sanitizers exist for that');
    expect(match!.highlights.map(([from, to]) => match!.snippet.slice(from, to))).toEqual(['sanitize', 'sanitizers']);
    // Every row carries matches, empty for name, description and tag hits.
    for (const row of (await api.call('GET', '/v1/packages?q=react')).body) expect(row.matches).toEqual([]);
  });

  it('pages with limit and offset, caps limit at 100 and rejects nonsense', async () => {
    const all = (await api.call('GET', '/v1/packages?limit=100')).body;
    const page = (await api.call('GET', '/v1/packages?limit=2&offset=1')).body;
    expect(page.map((p: { name: string }) => p.name)).toEqual(all.slice(1, 3).map((p: { name: string }) => p.name));
    expect((await api.call('GET', '/v1/packages?limit=5000')).status).toBe(200);
    expect((await api.call('GET', '/v1/packages?limit=abc')).status).toBe(400);
    expect((await api.call('GET', '/v1/packages?offset=-1')).status).toBe(400);
  });
});

describe('administration', () => {
  it('lists users without password material, admin only', async () => {
    expect((await api.call('GET', '/v1/admin/users', { token: carol })).status).toBe(403);
    const r = await api.call('GET', '/v1/admin/users?limit=2&offset=0', { token: rootToken });
    expect(r.status).toBe(200);
    expect(r.body.users).toHaveLength(2);
    expect(r.body.total).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(r.body)).not.toMatch(/password|argon2/i);
  });

  it('changes roles with immediate effect on live sessions; never root; validates input', async () => {
    const { token: dave } = await api.registerUser('dave');
    expect((await publish(dave, manifestFor('daves', '1.0.0'), await archiveFor('daves', '1.0.0'))).status).toBe(403);
    const promote = await api.call('PUT', '/v1/admin/users/dave/role', { token: rootToken, json: { role: 'publisher' } });
    expect(promote.status).toBe(200);
    // Same token, new role, no re-login.
    expect((await publish(dave, manifestFor('daves', '1.0.0'), await archiveFor('daves', '1.0.0'))).status).toBe(201);
    expect((await api.call('PUT', '/v1/admin/users/dave/role', { token: rootToken, json: { role: 'user' } })).status).toBe(200);
    expect((await publish(dave, manifestFor('daves', '1.1.0'), await archiveFor('daves', '1.1.0'))).status).toBe(403);
    expect((await api.call('PUT', '/v1/admin/users/dave/role', { token: rootToken, json: { role: 'root' } })).status).toBe(400);
    expect((await api.call('PUT', '/v1/admin/users/dave/role', { token: rootToken, json: { role: 'wizard' } })).status).toBe(400);
    expect((await api.call('PUT', '/v1/admin/users/nobody-x/role', { token: rootToken, json: { role: 'user' } })).status).toBe(404);
    expect((await api.call('PUT', '/v1/admin/users/root/role', { token: rootToken, json: { role: 'user' } })).status).toBe(403);
    expect((await api.call('PUT', '/v1/admin/users/dave/role', { token: dave, json: { role: 'admin' } })).status).toBe(403);
  });

  it('deletes users: ends their sessions; never yourself, never root', async () => {
    const { token, id } = await api.registerUser('erin');
    const del = await api.call('DELETE', `/v1/admin/users/${id}`, { token: rootToken });
    expect(del.status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token })).status).toBe(401);
    expect((await api.call('DELETE', `/v1/admin/users/${id}`, { token: rootToken })).status).toBe(404);
    const rootId = (await api.call('GET', '/v1/auth/profile', { token: rootToken })).body.id;
    expect((await api.call('DELETE', `/v1/admin/users/${rootId}`, { token: rootToken })).status).toBe(400);
    const adminReg = await api.call('POST', '/v1/auth/register', { token: rootToken, json: { username: 'frank', email: 'frank@example.com', password, role: 'admin' } });
    expect((await api.call('DELETE', `/v1/admin/users/${rootId}`, { token: adminReg.body.token })).status).toBe(403);
    expect((await api.call('DELETE', '/v1/admin/users/abc', { token: rootToken })).status).toBe(400);
  });
});

describe('GET /v1/openapi.json', () => {
  it('documents every route of the table with the schemas the handlers enforce', async () => {
    const r = await api.call('GET', '/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    const ops = Object.entries(r.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, m]) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`));
    const { routes } = await import('../../shared/routes.js');
    // Every API route; the web catalogue's pages (HTML for people) are not part of the API.
    const apiRoutes = routes.filter((x) => !('page' in x && x.page));
    expect(apiRoutes.length).toBeLessThan(routes.length);
    expect(ops.sort()).toEqual(apiRoutes.map((x) => `${x.method} ${x.path}`).sort());
    const login = r.body.paths['/v1/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
    const register = r.body.paths['/v1/auth/register'].post.requestBody.content['application/json'].schema;
    expect(register.properties.username.maxLength).toBe(50);
    // The answers the rfh client decodes are documented with its types.
    const loginAnswer = login.responses['2XX'].content['application/json'].schema;
    expect(loginAnswer.properties.session_id.type).toBe('integer');
    expect(loginAnswer.properties.user.properties.id.type).toBe('integer');
    expect(loginAnswer.properties.expires_at).toMatchObject({ type: 'string', format: 'date-time' });
    const version = r.body.paths['/v1/packages/{name}/versions/{version}'].get.responses['2XX'].content['application/json'].schema;
    expect(version.properties.sha256.pattern).toBe('^[0-9a-f]{64}$');
    // Publish is a multipart form of the manifest (with its schema) and the archive.
    const form = r.body.paths['/v1/packages'].post.requestBody.content['multipart/form-data'].schema;
    expect(form.required).toEqual(['manifest', 'archive']);
    expect(form.properties.manifest.properties.name.type).toBe('string');
    expect(form.properties.archive.contentMediaType).toBe('application/octet-stream');
  });
});
