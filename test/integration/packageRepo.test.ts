import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgPackageRepo } from '../../shared/adapters/postgres/PgPackageRepo.js';
import type { Principal } from '../../shared/auth/Principal.js';
import { migrate } from '../../shared/db/migrate.js';
import { migrations } from '../../shared/db/migrations/index.js';
import { manifestSchema } from '../../shared/packages/manifest.js';
import { decideOwnerAddition, decideOwnerChange, decidePublish } from '../../shared/packages/rights.js';
import type { Role } from '../../shared/auth/roles.js';
import { PgRegistryRepo } from '../../shared/adapters/postgres/PgRegistryRepo.js';
import type { ContentMatch } from '../../shared/packages/searchSnippet.js';
import { decideRegistryCreation } from '../../shared/registries/rights.js';
import { ANONYMOUS, viewerOf } from '../../shared/registries/Viewer.js';
import { blankDatabaseEngines, databaseEngines, type TestDatabase } from '../support/stores.js';
import { auditContext, createPrincipal, fakeSha256 } from '../support/repositoryFixtures.js';


describe.each(databaseEngines)('PgPackageRepo on $name', (engine) => {
  let t: TestDatabase;
  let repo: PgPackageRepo;
  const people: Record<string, Principal> = {};

  const person = async (username: string, role: Role) => (people[username] = await createPrincipal(t.db, username, role));

  const publish = (who: Principal, name: string, version: string, hash: number, extra: Record<string, unknown> = {}, texts: Record<string, string> = {}) => {
    const raw = { name, version, description: `${name} ${version}`, tags: ['t'], targets: ['cursor'], ...extra };
    const files = Object.entries({ 'rulestack.json': JSON.stringify(raw), ...texts }).map(([path, text]) => ({ path, text, size: Buffer.byteLength(text) }));
    return repo.publish({
      manifest: manifestSchema.parse(raw), rawManifest: raw, sha256: fakeSha256(hash), sizeBytes: 100, files, publisher: who, sourceIp: '127.0.0.1',
      authorize: (facts) => decidePublish(who, name, facts),
    });
  };
  // Owner changes decided by the rules the use cases pass.
  const addOwner = (name: string, username: string, actor: Principal) =>
    repo.addOwner(name, username, auditContext(actor), (facts) => decideOwnerAddition(actor, name, username, facts));
  const removeOwner = (name: string, username: string, actor: Principal) =>
    repo.removeOwner(name, username, auditContext(actor), (facts) => decideOwnerChange(actor, name, facts));

  beforeAll(async () => {
    t = await engine.open();
    repo = new PgPackageRepo(t.db);
    await person('ann', 'publisher');
    await person('ben', 'publisher');
    await person('cid', 'user');
    await person('ada', 'admin');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates a package owned by its first publisher and tracks latest by semver', async () => {
    const first = await publish(people.ann!, 'pkg-a', '1.0.0', 1);
    expect(first.created).toBe(true);
    expect(first.version).toMatchObject({ name: 'pkg-a', version: '1.0.0', sha256: fakeSha256(1), publishedBy: 'ann' });
    await publish(people.ann!, 'pkg-a', '1.10.0', 2);
    await publish(people.ann!, 'pkg-a', '1.9.0', 3);
    await publish(people.ann!, 'pkg-a', '2.0.0-rc1', 4);
    const p = await repo.getPackage('pkg-a', ANONYMOUS);
    expect(p).toMatchObject({ latest: '1.10.0', versions: ['2.0.0-rc1', '1.10.0', '1.9.0', '1.0.0'], owners: ['ann'], description: 'pkg-a 1.10.0' });
  });

  it('is idempotent for identical bytes and refuses different bytes for a published version', async () => {
    const again = await publish(people.ann!, 'pkg-a', '1.0.0', 1);
    expect(again.created).toBe(false);
    await expect(publish(people.ann!, 'pkg-a', '1.0.0', 99)).rejects.toMatchObject({ status: 409 });
    expect((await repo.getVersion('pkg-a', '1.0.0', ANONYMOUS))?.sha256).toBe(fakeSha256(1));
    expect(await repo.findArchive(fakeSha256(99), ANONYMOUS)).toBeNull();
    expect(await repo.findArchive(fakeSha256(1), ANONYMOUS)).toEqual({ visibility: 'public' });
  });

  it('lets only owners and admins publish further versions', async () => {
    await expect(publish(people.ben!, 'pkg-a', '3.0.0', 5)).rejects.toMatchObject({ status: 403 });
    expect((await publish(people.ada!, 'pkg-a', '3.0.0', 6)).created).toBe(true);
  });

  it('settles concurrent publishes of one version: exactly one is created', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => publish(people.ann!, 'pkg-race', '1.0.0', 100 + i)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 409 });
    const { rows } = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM registry.package_versions v JOIN registry.packages p ON p.id = v.package_id WHERE p.name = 'pkg-race'",
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses a version equal in precedence to a published one, naming it (409)', async () => {
    await publish(people.ann!, 'pkg-prec', '1.0.0', 400);
    const refused = await publish(people.ann!, 'pkg-prec', '1.0.0+evil', 401).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 409 });
    expect((refused as Error).message).toMatch(/^pkg-prec@1\.0\.0\+evil is equal in precedence to the published version 1\.0\.0: /);
    await expect(publish(people.ann!, 'pkg-prec', '1.0.0-rc', 402)).resolves.toMatchObject({ created: true });
    await expect(publish(people.ann!, 'pkg-prec', '1.0.0-rc+2', 403)).rejects.toMatchObject({ status: 409 });
    // The published version itself is still an idempotent retry.
    expect((await publish(people.ann!, 'pkg-prec', '1.0.0', 400)).created).toBe(false);
    expect((await repo.getPackage('pkg-prec', ANONYMOUS))?.versions).toEqual(['1.0.0', '1.0.0-rc']);
  });

  it('settles concurrent publishes of versions equal in precedence: exactly one is created', async () => {
    const versions = ['2.0.0', '2.0.0+a', '2.0.0+b', '2.0.0+c', '2.0.0+d', '2.0.0+e'];
    const results = await Promise.allSettled(versions.map((v, i) => publish(people.ann!, 'pkg-prec-race', v, 410 + i)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 409 });
    expect((await repo.getPackage('pkg-prec-race', ANONYMOUS))?.versions).toHaveLength(1);
  });

  it('compares versions stored before precedence keys existed, and leaves them alone', async () => {
    await publish(people.ann!, 'pkg-legacy', '1.0.0', 420);
    // Rows as stored before migration 007: no precedence key, spellings the semver check now refuses.
    for (const [version, n] of [['02.0.0', 421], ['002.0.0', 422]] as const) {
      await t.db.query(
        `INSERT INTO registry.package_versions (package_id, version, manifest, sha256, size_bytes, published_by)
         SELECT p.id, $2, '{}', $3, 1, p.created_by FROM registry.packages p WHERE p.name = $1`,
        ['pkg-legacy', version, fakeSha256(n)],
      );
    }
    await expect(publish(people.ann!, 'pkg-legacy', '2.0.0', 423)).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/^pkg-legacy@2\.0\.0 is equal in precedence to the published version 00?2\.0\.0: /),
    });
    expect((await publish(people.ann!, 'pkg-legacy', '2.0.1', 424)).created).toBe(true);
    const p = await repo.getPackage('pkg-legacy', ANONYMOUS);
    expect(p).toMatchObject({ latest: '2.0.1', versions: ['2.0.1', '02.0.0', '002.0.0', '1.0.0'] });
  });

  it('manages owners: role check, idempotent add, never the last one', async () => {
    await publish(people.ann!, 'pkg-own', '1.0.0', 200);
    await expect(addOwner('pkg-own', 'ben', people.ben!)).rejects.toMatchObject({ status: 403 });
    await expect(addOwner('pkg-own', 'cid', people.ann!)).rejects.toMatchObject({ status: 400 });
    await expect(addOwner('pkg-own', 'zed', people.ann!)).rejects.toMatchObject({ status: 404 });
    await expect(addOwner('nope', 'ben', people.ann!)).rejects.toMatchObject({ status: 404 });
    expect(await addOwner('pkg-own', 'BEN', people.ann!)).toEqual(['ann', 'ben']);
    expect(await addOwner('pkg-own', 'ben', people.ann!)).toEqual(['ann', 'ben']);
    const both = await Promise.allSettled([removeOwner('pkg-own', 'ben', people.ann!), removeOwner('pkg-own', 'ann', people.ben!)]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await repo.listOwners('pkg-own', ANONYMOUS)).toHaveLength(1);
    const [last] = (await repo.listOwners('pkg-own', ANONYMOUS))!;
    await expect(removeOwner('pkg-own', last!, people[last!]!)).rejects.toMatchObject({ status: 409 });
    expect(await repo.listOwners('nope', ANONYMOUS)).toBeNull();
  });

  it('searches by name, description and tags with filters, one row per package', async () => {
    await publish(people.ann!, 'markdown-lint', '1.0.0', 300, { description: 'Lint rules for markdown documents', tags: ['docs'], targets: ['cursor'] });
    await publish(people.ann!, 'markdown-lint', '1.1.0', 301, { description: 'Lint rules for markdown documents', tags: ['docs'], targets: ['cursor'] });
    await publish(people.ann!, 'sql-safety', '1.0.0', 302, { description: 'Avoid injection in queries', tags: ['security', 'sql'], targets: ['claude-code'] });
    const byName = await repo.search({ q: 'markdown', limit: 20, offset: 0 }, ANONYMOUS);
    expect(byName.map((r) => r.name)).toEqual(['markdown-lint']);
    expect(byName[0]).toMatchObject({ version: '1.1.0', versions: ['1.1.0', '1.0.0'] });
    expect((await repo.search({ q: 'injections', limit: 20, offset: 0 }, ANONYMOUS)).map((r) => r.name)).toEqual(['sql-safety']);
    expect((await repo.search({ q: '', tag: 'sql', limit: 20, offset: 0 }, ANONYMOUS)).map((r) => r.name)).toEqual(['sql-safety']);
    expect((await repo.search({ q: '', target: 'claude-code', limit: 20, offset: 0 }, ANONYMOUS)).map((r) => r.name)).toEqual(['sql-safety']);
    expect(await repo.search({ q: '%', limit: 20, offset: 0 }, ANONYMOUS)).toEqual([]);
    expect(await repo.search({ q: "o'; --", limit: 20, offset: 0 }, ANONYMOUS)).toEqual([]);
  });

  it('offers the names nearest to a query without a hit, page by page, and nothing past the last hit of one with hits', async () => {
    await publish(people.ann!, 'terraform-modules', '1.0.0', 310, { description: 'Module layout', tags: ['iac'] });
    await publish(people.ann!, 'terraform-modules', '1.1.0', 311, { description: 'Module layout', tags: ['iac'] });
    await publish(people.ann!, 'terraform-module-docs', '1.0.0', 312, { description: 'Documenting inputs', tags: ['iac'] });
    await publish(people.ann!, 'terra-form-kit', '1.0.0', 313, { description: 'Starter kit', tags: ['iac'] });
    const near = await repo.search({ q: 'terrafrom-modules', limit: 20, offset: 0 }, ANONYMOUS);
    expect(near.map((r) => r.name).slice(0, 2)).toEqual(['terraform-modules', 'terraform-module-docs']);
    expect(near[0]).toMatchObject({ version: '1.1.0', versions: ['1.1.0', '1.0.0'], matches: [] });
    const second = await repo.search({ q: 'terrafrom-modules', limit: 1, offset: 1 }, ANONYMOUS);
    expect(second.map((r) => r.name)).toEqual(['terraform-module-docs']);
    expect(await repo.search({ q: 'terrafrom-modules', tag: 'security', limit: 20, offset: 0 }, ANONYMOUS)).toEqual([]);
    // Two packages match `terraform`: a page after them is empty, not the names like it (terra-form-kit).
    expect((await repo.search({ q: 'terraform', limit: 20, offset: 0 }, ANONYMOUS)).map((r) => r.name)).toEqual(['terraform-module-docs', 'terraform-modules']);
    expect(await repo.search({ q: 'terraform', limit: 20, offset: 2 }, ANONYMOUS)).toEqual([]);
  });

  it('lists a package in every kind of search as reading it says it is', async () => {
    // Values that differ from each other, so a field read from another's place shows.
    await publish(people.ann!, 'hit-agreement', '1.0.0', 320, { tags: ['agreement', 'docs'], targets: ['cursor', 'windsurf'] });
    const { version } = await publish(people.ann!, 'hit-agreement', '1.1.0', 321, { tags: ['agreement', 'docs'], targets: ['cursor', 'windsurf'] });
    await t.db.query("UPDATE registry.package_versions SET downloads = CASE version WHEN '1.0.0' THEN 7 ELSE 5 END WHERE package_id = (SELECT id FROM registry.packages WHERE name = 'hit-agreement')");
    await t.db.query(
      `INSERT INTO registry.version_findings (version_id, ordinal, file, line, column_number, rule, severity, message, excerpt)
       SELECT $1::int, n, 'rules/a.md', 1, 1, 'hidden-text', 'flag', 'hidden', '' FROM generate_series(0, 2) AS n`,
      [version.id],
    );
    await t.db.query(
      `UPDATE registry.packages SET created_at = '2025-01-02 03:04:05.678912+00', updated_at = '2026-02-03 04:05:06.789123+00' WHERE name = 'hit-agreement'`,
    );
    const p = (await repo.getPackage('hit-agreement', ANONYMOUS))!;
    expect(p).toMatchObject({ downloads: 12, flags: 3 });
    expect(p.createdAt.toISOString()).toBe('2025-01-02T03:04:05.678Z');
    expect(p.updatedAt.toISOString()).toBe('2026-02-03T04:05:06.789Z');
    const asRead = {
      id: p.id, name: p.name, version: p.latest, description: p.description, tags: p.tags, targets: p.targets,
      versions: p.versions, downloads: p.downloads, flags: p.flags, createdAt: p.createdAt, updatedAt: p.updatedAt, matches: [],
    };
    const byName = await repo.search({ q: 'hit-agreement', limit: 20, offset: 0 }, ANONYMOUS);
    const listed = await repo.search({ q: '', tag: 'agreement', limit: 20, offset: 0 }, ANONYMOUS);
    const nearMiss = await repo.search({ q: 'hti-agreemnt', limit: 20, offset: 0 }, ANONYMOUS);
    for (const [kind, hits] of Object.entries({ byName, listed, nearMiss })) {
      expect(hits.find((h) => h.name === 'hit-agreement'), kind).toEqual(asRead);
    }
  });

  describe('content search', () => {
    const search = (q: string, viewer = ANONYMOUS, page = { limit: 20, offset: 0 }) => repo.search({ q, ...page }, viewer);
    /** The words a match highlights, as the page would mark them. */
    const marked = (m: ContentMatch) => m.highlights.map(([from, to]) => m.snippet.slice(from, to));

    beforeAll(async () => {
      await publish(people.ann!, 'vault-basics', '1.0.0', 600, { description: 'Where secrets belong' });
      await publish(people.ann!, 'ops-handbook', '1.0.0', 601, { description: 'Operations' }, {
        'rules/secrets.md': '# Handling credentials\n\nNever  commit\tkeys.\n\nStore every credential in a vault, and rotate vaults yearly.\n',
        'rules/other.md': 'See the vault section.',
      });
      await publish(people.ann!, 'deploy-notes', '1.0.0', 602, { description: 'Deploying' }, { 'notes.md': 'Unlock the vault before deploying.' });
    });

    it('finds packages by the text of their files, below every name, description and tag hit', async () => {
      const rows = await search('vault');
      expect(rows.map((r) => r.name)).toEqual(['vault-basics', 'ops-handbook', 'deploy-notes']);
      expect(rows[0]!.matches).toEqual([]);
      // ops-handbook has the word in two files, deploy-notes in one: most files matched first, then recency.
      // Matches in path order.
      expect(rows[1]!.matches!.map((m) => m.path)).toEqual(['rules/other.md', 'rules/secrets.md']);
      const match = rows[1]!.matches![1];
      // An excerpt of the text with white space collapsed (line breaks, tabs, runs of spaces).
      expect('# Handling credentials Never commit keys. Store every credential in a vault, and rotate vaults yearly.').toContain(match!.snippet);
      expect(match!.snippet).toMatch(/keys\. Store every credential in a vault, and rotate vaults yearly\.$/);
      expect(marked(match!)).toEqual(['vault', 'vaults']);
      expect(rows[2]!.matches).toEqual([{ path: 'notes.md', snippet: 'Unlock the vault before deploying.', highlights: [[11, 16]] }]);
    });

    it('matches stemmed words and pages through name hits into content hits', async () => {
      expect(marked((await search('credentials'))[0]!.matches![0]!)).toEqual(['credentials', 'credential']);
      const second = await search('vault', ANONYMOUS, { limit: 1, offset: 1 });
      expect(second.map((r) => [r.name, r.matches!.map((m) => m.path)])).toEqual([['ops-handbook', ['rules/other.md', 'rules/secrets.md']]]);
      expect((await search('vault -deploying')).map((r) => r.name)).toEqual(['vault-basics', 'ops-handbook']);
      // A query of negations alone looks up no word: no content hit, however many files lack the word.
      const negated = await search('-vault');
      expect(negated.length).toBeGreaterThan(0);
      expect(negated.filter((r) => r.matches!.length > 0)).toEqual([]);
    });

    it('highlights the words of the query wherever they are in a file, also far apart and spelt otherwise', async () => {
      const far = ' filler words here'.repeat(40);
      await publish(people.ann!, 'spread-words', '1.0.0', 650, {}, {
        'a.md': `Frustrating builds.${far}\nRust toolchains are pinned.${far} Happy ending with a kestrel.`,
      });
      // An AND query whose words are far apart: each excerpt shows one of them.
      const [row] = await search('toolchain kestrel');
      expect(row?.name).toBe('spread-words');
      expect(marked(row!.matches![0]!)).toEqual(['toolchains']);
      // The stem is found inside another word first ("frustrating"), and the word itself starts a line.
      expect(marked((await search('rust'))[0]!.matches![0]!)).toEqual(['Rust']);
      // A stem that is not how the word starts ("happi").
      expect(marked((await search('happy'))[0]!.matches![0]!)).toEqual(['Happy']);
    });

    it('searches only the latest version of a package', async () => {
      await publish(people.ann!, 'changing-rules', '1.0.0', 610, {}, { 'a.md': 'Mention the quokka here.' });
      expect((await search('quokka')).map((r) => r.name)).toEqual(['changing-rules']);
      await publish(people.ann!, 'changing-rules', '2.0.0', 611, {}, { 'a.md': 'Nothing about that animal now.' });
      expect(await search('quokka')).toEqual([]);
      expect((await search('animal')).map((r) => r.name)).toEqual(['changing-rules']);
    });

    it('shows hostile-looking text as the plain text it is', async () => {
      const text = 'Intro. Never store plaintext \uE000passwords\uE001 <script>alert("pwned")</script> <img src=x onerror=alert(1)> anywhere &amp; ever.';
      await publish(people.ann!, 'hostile-text', '1.0.0', 620, { description: 'x' }, { 'evil.md': text });
      const [row] = await search('plaintext');
      expect(row?.name).toBe('hostile-text');
      const { snippet } = row!.matches![0]!;
      expect(snippet).toContain('plaintext passwords <script>alert("pwned")</script> <img src=x onerror=alert(1)> anywhere');
      expect(snippet).not.toMatch(/[\uE000-\uE003]/);
      expect(marked(row!.matches![0]!)).toEqual(['plaintext']);
      // What looks like markup is searchable text too.
      expect((await search('onerror')).map((r) => r.name)).toEqual(['hostile-text']);
    });

    it('indexes the first 64 KiB of a file, and cuts snippets to 200 characters around the match', async () => {
      const filler = 'lorem ipsum dolor sit amet '.repeat(3000);
      await publish(people.ann!, 'long-file', '1.0.0', 630, {}, { 'long.md': `${filler.slice(0, 30_000)} wombat ${filler} numbat` });
      const [row] = await search('wombat');
      expect(row?.name).toBe('long-file');
      const match = row!.matches![0]!;
      expect(match.snippet.length).toBeLessThanOrEqual(200);
      expect(marked(match)).toEqual(['wombat']);
      // Beyond the cap: not indexed (pages show the whole file from the archive).
      expect(await search('numbat')).toEqual([]);
      const { rows } = await t.db.query<{ size_bytes: number; bytes: number }>(
        `SELECT f.size_bytes, octet_length(f.content) AS bytes FROM registry.version_files f
           JOIN registry.package_versions v ON v.id = f.version_id JOIN registry.packages p ON p.id = v.package_id
          WHERE p.name = 'long-file' AND f.path = 'long.md'`,
      );
      expect(rows[0]!.size_bytes).toBeGreaterThan(65_536);
      expect(rows[0]!.bytes).toBeLessThanOrEqual(65_536);
    });

    it("never matches a private registry's files for those outside it", async () => {
      const registries = new PgRegistryRepo(t.db);
      await registries.create({ name: 'hush', description: '', visibility: 'private' }, auditContext(people.ann!), (facts) => decideRegistryCreation(3, facts));
      await publish(people.ann!, '@hush/internal', '1.0.0', 640, { description: 'x' }, { 'secret.md': 'The zanzibar protocol.' });
      expect(await search('zanzibar')).toEqual([]);
      expect(await search('zanzibar', viewerOf(people.ben!))).toEqual([]);
      expect(await search('zanzibar', { userId: people.ann!.userId, isAdmin: false, onlyRegistry: '' })).toEqual([]);
      const member = await search('zanzibar', viewerOf(people.ann!));
      expect(member.map((r) => [r.name, r.matches![0]?.path])).toEqual([['@hush/internal', 'secret.md']]);
      expect((await search('zanzibar', viewerOf(people.ada!))).map((r) => r.name)).toEqual(['@hush/internal']);
    });
  });
});

describe.each(blankDatabaseEngines)('migration 007_version_precedence on $name', (engine) => {
  it('applies to versions equal in precedence stored before it, and leaves them as they are', async () => {
    const { db, close } = await engine.open();
    try {
      await migrate(db, migrations.filter((m) => m.id < '007'));
      await db.query(`INSERT INTO registry.users (username, email, password_hash, role) VALUES ('old', 'old@example.com', 'h', 'publisher')`);
      await db.query(
        `INSERT INTO registry.packages (name, created_by, registry_id)
         SELECT 'twins', u.id, r.id FROM registry.users u, registry.registries r WHERE u.username = 'old' AND r.name = 'default'`,
      );
      for (const [i, version] of ['1.0.0', '01.0.0', '1.0.0+evil'].entries()) {
        await db.query(
          `INSERT INTO registry.package_versions (package_id, version, manifest, sha256, size_bytes, published_by)
           SELECT p.id, $1, '{}', $2, 1, p.created_by FROM registry.packages p WHERE p.name = 'twins'`,
          [version, fakeSha256(900 + i)],
        );
      }
      await expect(migrate(db)).resolves.toContain('007_version_precedence');
      const { rows } = await db.query<{ version: string; precedence: string | null }>(
        'SELECT version, precedence FROM registry.package_versions ORDER BY id',
      );
      expect(rows).toEqual([
        { version: '1.0.0', precedence: null },
        { version: '01.0.0', precedence: null },
        { version: '1.0.0+evil', precedence: null },
      ]);
    } finally {
      await close();
    }
  });
});
