import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgPackageRepo } from '../../shared/adapters/postgres/PgPackageRepo.js';
import type { Principal } from '../../shared/auth/Principal.js';
import type { Role } from '../../shared/auth/roles.js';
import { manifestSchema } from '../../shared/packages/manifest.js';
import { latestOf } from '../../shared/packages/Package.js';
import { decidePublish, decideQuarantine, decideYank } from '../../shared/packages/rights.js';
import { ANONYMOUS, viewerOf } from '../../shared/registries/Viewer.js';
import { databaseEngines, type TestDatabase } from '../support/stores.js';
import { auditContext, createPrincipal, fakeSha256 } from '../support/repositoryFixtures.js';

// Yank and quarantine in the repository, on every driver: the rights enforced under the package
// row lock, `latest` and search following the marks, archives withheld, the audit records, and a
// yank racing a publish of the same package.


describe.each(databaseEngines)('yank and quarantine on $name', (engine) => {
  let t: TestDatabase;
  let repo: PgPackageRepo;
  const people: Record<string, Principal> = {};
  let nextHash = 1000;

  const person = async (username: string, role: Role) => (people[username] = await createPrincipal(t.db, username, role));

  const publish = (who: Principal, name: string, version: string, hash = nextHash++) => {
    const raw = { name, version, description: `${name} ${version}`, tags: ['t'], targets: ['cursor'] };
    return repo.publish({
      manifest: manifestSchema.parse(raw), rawManifest: raw, sha256: fakeSha256(hash), sizeBytes: 100, files: [], publisher: who, sourceIp: '127.0.0.1',
      authorize: (facts) => decidePublish(who, name, facts),
    });
  };
  const yank = (who: Principal, name: string, version: string, reason: string | null) =>
    repo.markVersion(name, version, { mark: 'yank', reason }, auditContext(who), (facts) => decideYank(who, name, version, facts));
  const quarantine = (who: Principal, name: string, version: string, reason: string | null) =>
    repo.markVersion(name, version, { mark: 'quarantine', reason }, auditContext(who), (facts) => decideQuarantine(who, name, version, facts));
  const search = (q: string) => repo.search({ q, limit: 20, offset: 0 }, ANONYMOUS);
  const audit = async (target: string) =>
    (
      await t.db.query<{ action: string; actor: string; reason: string | null; previous: string | null }>(
        `SELECT action, actor_username AS actor, details->>'reason' AS reason, details->>'previous_reason' AS previous
           FROM registry.audit_log WHERE target = $1::text AND action LIKE 'version.%' ORDER BY id`,
        [target],
      )
    ).rows;

  beforeAll(async () => {
    t = await engine.open();
    repo = new PgPackageRepo(t.db);
    await person('ann', 'publisher');
    await person('ben', 'publisher');
    await person('cid', 'user');
    await person('ada', 'admin');
    // A private registry `vault` with cid as its admin (cid has no global publisher role).
    await t.db.query(`INSERT INTO registry.registries (name, visibility, created_by) VALUES ('vault', 'private', $1::int)`, [people.ann!.userId]);
    await t.db.query(
      `INSERT INTO registry.registry_members (registry_id, user_id, role)
       SELECT r.id, m.user_id, m.role FROM registry.registries r,
              (VALUES ($1::int, 'publisher'), ($2::int, 'admin')) AS m (user_id, role)
        WHERE r.name = 'vault'`,
      [people.ann!.userId, people.cid!.userId],
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a yank moves latest to the highest version left (the package showing it) and keeps the version readable; unyank moves it back', async () => {
    for (const v of ['1.0.0', '1.1.0', '2.0.0']) await publish(people.ann!, 'yank-latest', v);
    const yanked = await yank(people.ann!, 'yank-latest', '2.0.0', 'breaks on Windows');
    expect(yanked.yanked).toEqual({ at: expect.any(Date), reason: 'breaks on Windows', by: 'ann' });
    expect(yanked.quarantine).toBeNull();
    expect(await repo.getPackage('yank-latest', ANONYMOUS)).toMatchObject({
      latest: '1.1.0',
      description: 'yank-latest 1.1.0',
      versions: ['2.0.0', '1.1.0', '1.0.0'],
      yankedVersions: ['2.0.0'],
      quarantinedVersions: [],
    });
    expect((await repo.getVersion('yank-latest', '2.0.0', ANONYMOUS))?.yanked?.reason).toBe('breaks on Windows');
    expect((await search('yank-latest'))[0]).toMatchObject({ name: 'yank-latest', version: '1.1.0' });
    // Yanking an older version leaves latest where it is.
    await yank(people.ann!, 'yank-latest', '1.0.0', 'old');
    expect((await repo.getPackage('yank-latest', ANONYMOUS))?.latest).toBe('1.1.0');

    const back = await yank(people.ann!, 'yank-latest', '2.0.0', null);
    expect(back.yanked).toBeNull();
    expect(await repo.getPackage('yank-latest', ANONYMOUS)).toMatchObject({ latest: '2.0.0', description: 'yank-latest 2.0.0', yankedVersions: ['1.0.0'] });
    expect(await audit('yank-latest@2.0.0')).toEqual([
      { action: 'version.yank', actor: 'ann', reason: 'breaks on Windows', previous: null },
      { action: 'version.unyank', actor: 'ann', reason: null, previous: 'breaks on Windows' },
    ]);
  });

  it('is idempotent: a second yank keeps the first record, an unyank of a version not yanked changes nothing, and neither is audited', async () => {
    await publish(people.ann!, 'yank-twice', '1.0.0');
    const first = await yank(people.ann!, 'yank-twice', '1.0.0', 'first reason');
    const second = await yank(people.ada!, 'yank-twice', '1.0.0', 'second reason');
    expect(second.yanked).toEqual(first.yanked);
    expect(second.yanked).toMatchObject({ reason: 'first reason', by: 'ann' });
    await yank(people.ann!, 'yank-twice', '1.0.0', null);
    const again = await yank(people.ann!, 'yank-twice', '1.0.0', null);
    expect(again.yanked).toBeNull();
    expect((await audit('yank-twice@1.0.0')).map((a) => a.action)).toEqual(['version.yank', 'version.unyank']);
  });

  it('a package whose every version is yanked has no latest and leaves search; a new publish brings it back', async () => {
    await publish(people.ann!, 'all-yanked', '1.0.0');
    await publish(people.ann!, 'all-yanked', '1.1.0-rc1');
    expect((await search('all-yanked')).map((r) => r.name)).toEqual(['all-yanked']);
    await yank(people.ann!, 'all-yanked', '1.0.0', 'bad');
    // Only a pre-release left: it becomes latest, as it would with no release published.
    expect((await repo.getPackage('all-yanked', ANONYMOUS))?.latest).toBe('1.1.0-rc1');
    await yank(people.ann!, 'all-yanked', '1.1.0-rc1', 'bad too');
    expect((await repo.getPackage('all-yanked', ANONYMOUS))?.latest).toBeNull();
    expect(await search('all-yanked')).toEqual([]);
    expect((await repo.getVersion('all-yanked', '1.0.0', ANONYMOUS))?.version).toBe('1.0.0');
    // Publish computes latest without the yanked versions: the new one, lower than a yanked one, is latest.
    await publish(people.ann!, 'all-yanked', '0.9.0');
    expect((await repo.getPackage('all-yanked', ANONYMOUS))?.latest).toBe('0.9.0');
    expect((await search('all-yanked'))[0]).toMatchObject({ version: '0.9.0' });
  });

  it('lets owners, admins of the registry and global admins yank; refuses others (403) and hides private packages (404), changing nothing', async () => {
    await publish(people.ann!, 'yank-rights', '1.0.0');
    await expect(yank(people.ben!, 'yank-rights', '1.0.0', 'mine now')).rejects.toMatchObject({ status: 403 });
    await expect(yank(people.cid!, 'yank-rights', '1.0.0', 'mine now')).rejects.toMatchObject({ status: 403 });
    await expect(yank(people.ann!, 'yank-rights', '9.9.9', 'nope')).rejects.toMatchObject({ status: 404 });
    await expect(yank(people.ann!, 'no-such-package', '1.0.0', 'nope')).rejects.toMatchObject({ status: 404 });
    expect((await repo.getVersion('yank-rights', '1.0.0', ANONYMOUS))?.yanked).toBeNull();
    expect(await audit('yank-rights@1.0.0')).toEqual([]);
    expect((await yank(people.ada!, 'yank-rights', '1.0.0', 'by an admin')).yanked?.by).toBe('ada');

    await publish(people.ann!, '@vault/secret', '1.0.0');
    await expect(yank(people.ben!, '@vault/secret', '1.0.0', 'x')).rejects.toMatchObject({ status: 404, message: 'Package @vault/secret not found' });
    // cid administers the registry without owning the package (or having the publisher role).
    const byRegistryAdmin = await yank(people.cid!, '@vault/secret', '1.0.0', 'registry admin says so');
    expect(byRegistryAdmin.yanked).toMatchObject({ by: 'cid' });
    expect(await repo.getVersion('@vault/secret', '1.0.0', ANONYMOUS)).toBeNull();
    expect((await repo.getPackage('@vault/secret', viewerOf(people.ann!)))?.latest).toBeNull();
  });

  it('quarantine: global admins only; the archive is withheld unless another visible version has it; release serves it again', async () => {
    const hash = nextHash++;
    await publish(people.ann!, 'leaky', '1.0.0');
    await publish(people.ann!, 'leaky', '1.1.0', hash);
    await expect(quarantine(people.ann!, 'leaky', '1.1.0', 'leaked token')).rejects.toMatchObject({ status: 403 });
    expect(await repo.findArchive(fakeSha256(hash), ANONYMOUS)).toEqual({ visibility: 'public' });

    const q = await quarantine(people.ada!, 'leaky', '1.1.0', 'contains an AWS key');
    expect(q.quarantine).toEqual({ at: expect.any(Date), reason: 'contains an AWS key' });
    expect(q.quarantine).not.toHaveProperty('by');
    expect(await repo.findArchive(fakeSha256(hash), ANONYMOUS)).toEqual({ quarantined: [{ name: 'leaky', version: '1.1.0', reason: 'contains an AWS key' }] });
    expect(await repo.getPackage('leaky', ANONYMOUS)).toMatchObject({ latest: '1.0.0', quarantinedVersions: ['1.1.0'], yankedVersions: [] });
    // Idempotent, first record kept.
    expect((await quarantine(people.ada!, 'leaky', '1.1.0', 'again')).quarantine?.reason).toBe('contains an AWS key');

    // Another package's version with the same bytes is not quarantined: the archive stays served.
    await publish(people.ben!, 'leaky-twin', '1.0.0', hash);
    expect(await repo.findArchive(fakeSha256(hash), ANONYMOUS)).toEqual({ visibility: 'public' });
    await quarantine(people.ada!, 'leaky-twin', '1.0.0', 'same bytes');
    const both = await repo.findArchive(fakeSha256(hash), ANONYMOUS);
    expect(both && 'quarantined' in both ? both.quarantined.map((x) => `${x.name}@${x.version}: ${x.reason}`).sort() : both).toEqual([
      'leaky-twin@1.0.0: same bytes',
      'leaky@1.1.0: contains an AWS key',
    ]);

    await quarantine(people.ada!, 'leaky', '1.1.0', null);
    expect(await repo.findArchive(fakeSha256(hash), ANONYMOUS)).toEqual({ visibility: 'public' });
    expect(await repo.getPackage('leaky', ANONYMOUS)).toMatchObject({ latest: '1.1.0', quarantinedVersions: [] });
    expect(await audit('leaky@1.1.0')).toEqual([
      { action: 'version.quarantine', actor: 'ada', reason: 'contains an AWS key', previous: null },
      { action: 'version.release', actor: 'ada', reason: null, previous: 'contains an AWS key' },
    ]);
  });

  it('keeps a yanked version and a quarantined one apart: each mark is lifted on its own', async () => {
    await publish(people.ann!, 'two-marks', '1.0.0');
    await publish(people.ann!, 'two-marks', '2.0.0');
    await yank(people.ann!, 'two-marks', '2.0.0', 'yanked');
    await quarantine(people.ada!, 'two-marks', '2.0.0', 'quarantined');
    await yank(people.ann!, 'two-marks', '2.0.0', null);
    // Still quarantined: still not latest.
    expect((await repo.getPackage('two-marks', ANONYMOUS))?.latest).toBe('1.0.0');
    await quarantine(people.ada!, 'two-marks', '2.0.0', null);
    expect((await repo.getPackage('two-marks', ANONYMOUS))?.latest).toBe('2.0.0');
  });

  it('refuses, in the database, a mark without its reason or with a reason over 500 characters', async () => {
    await publish(people.ann!, 'checked', '1.0.0');
    const set = (reason: string | null, by: number | null = people.ann!.userId) =>
      t.db.query(
        `UPDATE registry.package_versions v SET yanked_at = now(), yank_reason = $1::text, yanked_by = $2::int
           FROM registry.packages p WHERE p.id = v.package_id AND p.name = 'checked'`,
        [reason, by],
      );
    await expect(set(null)).rejects.toThrow(/package_versions_yank_check/);
    await expect(set('')).rejects.toThrow(/package_versions_yank_check/);
    await expect(set('x'.repeat(501))).rejects.toThrow(/package_versions_yank_check/);
    await expect(set('why', null)).rejects.toThrow(/package_versions_yank_check/);
    await expect(
      t.db.query(`UPDATE registry.package_versions SET quarantine_reason = 'no time or who' WHERE version = '1.0.0'`),
    ).rejects.toThrow(/package_versions_quarantine_check/);
    await set('x'.repeat(500));
    expect((await repo.getVersion('checked', '1.0.0', ANONYMOUS))?.yanked?.reason).toHaveLength(500);
    // Written past the repository, which would have moved latest: put back.
    await t.db.query(
      `UPDATE registry.package_versions v SET yanked_at = NULL, yank_reason = NULL, yanked_by = NULL
         FROM registry.packages p WHERE p.id = v.package_id AND p.name = 'checked'`,
    );
  });

  it('serialises a yank with a publish of the same package: latest always ends on the highest version neither yanked nor quarantined', async () => {
    for (let round = 0; round < 6; round++) {
      const name = `race-yank-${round}`;
      await publish(people.ann!, name, '1.0.0');
      await publish(people.ann!, name, '2.0.0');
      // Either may start first; whichever commits second must see the other's versions.
      const racing = [() => yank(people.ann!, name, '2.0.0', 'race'), () => publish(people.ann!, name, '1.5.0')];
      if (round % 2) racing.reverse();
      const results = await Promise.allSettled(racing.map((start) => start()));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const p = await repo.getPackage(name, ANONYMOUS);
      expect(p).toMatchObject({ latest: '1.5.0', description: `${name} 1.5.0`, yankedVersions: ['2.0.0'] });
    }
    for (let round = 0; round < 6; round++) {
      const name = `race-unyank-${round}`;
      await publish(people.ann!, name, '1.0.0');
      await publish(people.ann!, name, '3.0.0');
      await yank(people.ann!, name, '3.0.0', 'race');
      const racing = [() => yank(people.ann!, name, '3.0.0', null), () => publish(people.ann!, name, '2.0.0')];
      if (round % 2) racing.reverse();
      const results = await Promise.allSettled(racing.map((start) => start()));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect((await repo.getPackage(name, ANONYMOUS))?.latest).toBe('3.0.0');
    }
    // And across every package of this suite, latest is what the marks say it must be.
    const { rows } = await t.db.query<{ name: string; latest: string | null; offered: string[] | null }>(
      `SELECT p.name, p.latest_version AS latest,
              ARRAY(SELECT v.version FROM registry.package_versions v
                     WHERE v.package_id = p.id AND v.yanked_at IS NULL AND v.quarantined_at IS NULL) AS offered
         FROM registry.packages p`,
    );
    for (const r of rows) expect(r.latest, r.name).toBe(latestOf(r.offered ?? []));
  });
});
