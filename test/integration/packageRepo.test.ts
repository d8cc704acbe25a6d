import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgPackageRepo } from '../../shared/adapters/postgres/PgPackageRepo.js';
import { PgUserRepo } from '../../shared/adapters/postgres/PgUserRepo.js';
import type { Principal } from '../../shared/auth/Principal.js';
import { manifestSchema } from '../../shared/packages/manifest.js';
import type { Role } from '../../shared/routes.js';
import { ANONYMOUS } from '../../shared/registries/Viewer.js';
import { databaseEngines, type TestDatabase } from '../support/stores.js';

const sha = (n: number) => n.toString(16).padStart(64, '0');
const ctx = (actor: Principal) => ({ actor, sourceIp: '127.0.0.1' });

describe.each(databaseEngines)('PgPackageRepo on $name', (engine) => {
  let t: TestDatabase;
  let repo: PgPackageRepo;
  const people: Record<string, Principal> = {};

  async function person(username: string, role: Role): Promise<Principal> {
    const u = await new PgUserRepo(t.db).create({ username, email: `${username}@example.com`, passwordHash: 'h', role });
    return (people[username] = { userId: u.id, username, role, tokenHash: 'x' });
  }

  const publish = (who: Principal, name: string, version: string, hash: number, extra: Record<string, unknown> = {}) => {
    const raw = { name, version, description: `${name} ${version}`, tags: ['t'], targets: ['cursor'], ...extra };
    return repo.publish({ manifest: manifestSchema.parse(raw), rawManifest: raw, sha256: sha(hash), sizeBytes: 100, publisher: who, sourceIp: '127.0.0.1' });
  };

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
    expect(first.version).toMatchObject({ name: 'pkg-a', version: '1.0.0', sha256: sha(1), publishedBy: 'ann' });
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
    expect((await repo.getVersion('pkg-a', '1.0.0', ANONYMOUS))?.sha256).toBe(sha(1));
    expect(await repo.findArchive(sha(99), ANONYMOUS)).toBeNull();
    expect(await repo.findArchive(sha(1), ANONYMOUS)).toEqual({ visibility: 'public' });
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

  it('manages owners: role check, idempotent add, never the last one', async () => {
    await publish(people.ann!, 'pkg-own', '1.0.0', 200);
    await expect(repo.addOwner('pkg-own', 'ben', ctx(people.ben!))).rejects.toMatchObject({ status: 403 });
    await expect(repo.addOwner('pkg-own', 'cid', ctx(people.ann!))).rejects.toMatchObject({ status: 400 });
    await expect(repo.addOwner('pkg-own', 'zed', ctx(people.ann!))).rejects.toMatchObject({ status: 404 });
    await expect(repo.addOwner('nope', 'ben', ctx(people.ann!))).rejects.toMatchObject({ status: 404 });
    expect(await repo.addOwner('pkg-own', 'BEN', ctx(people.ann!))).toEqual(['ann', 'ben']);
    expect(await repo.addOwner('pkg-own', 'ben', ctx(people.ann!))).toEqual(['ann', 'ben']);
    const both = await Promise.allSettled([repo.removeOwner('pkg-own', 'ben', ctx(people.ann!)), repo.removeOwner('pkg-own', 'ann', ctx(people.ben!))]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await repo.listOwners('pkg-own', ANONYMOUS)).toHaveLength(1);
    const [last] = (await repo.listOwners('pkg-own', ANONYMOUS))!;
    await expect(repo.removeOwner('pkg-own', last!, ctx(people[last!]!))).rejects.toMatchObject({ status: 409 });
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
});
