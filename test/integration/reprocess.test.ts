import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgPackageRepo } from '../../shared/adapters/postgres/PgPackageRepo.js';
import { PgPublishedVersions } from '../../shared/adapters/postgres/PgPublishedVersions.js';
import { PgUserRepo } from '../../shared/adapters/postgres/PgUserRepo.js';
import { PgVersionFileIndex } from '../../shared/adapters/postgres/PgVersionFileIndex.js';
import type { Principal } from '../../shared/auth/Principal.js';
import { StoreUnavailableError } from '../../shared/errors.js';
import { readArchiveFiles } from '../../shared/packages/archiveFiles.js';
import { manifestSchema } from '../../shared/packages/manifest.js';
import { contentIndexStep, progressLine, reprocess, type ReprocessProgress } from '../../shared/packages/reprocess.js';
import { decidePublish } from '../../shared/packages/rights.js';
import { ANONYMOUS } from '../../shared/registries/Viewer.js';
import { FsBlobStore } from '../../scripts/local/FsBlobStore.js';
import { manifestFor, packageArchive } from '../support/archives.js';
import { databaseEngines, type TestDatabase } from '../support/stores.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe.each(databaseEngines)('reprocess on $name with a folder blob store', (engine) => {
  let t: TestDatabase;
  let folder: string;
  let blobs: FsBlobStore;
  let ann: Principal;
  const versions: Array<{ name: string; sha256: string }> = [];
  let junkHash: string;

  /** Publishes name@1.0.0 as the API would: the archive in the blob store (unless `store` is false), its files indexed. */
  async function publish(name: string, files: Record<string, string>, store = true) {
    const archive = await packageArchive(name, '1.0.0', files);
    const hash = sha256(archive);
    if (store) await blobs.put(hash, archive);
    const raw = manifestFor(name, '1.0.0', Object.keys(files));
    await new PgPackageRepo(t.db).publish({
      manifest: manifestSchema.parse(raw), rawManifest: raw, sha256: hash, sizeBytes: archive.length, files: await readArchiveFiles(archive),
      publisher: ann, sourceIp: '127.0.0.1', authorize: (facts) => decidePublish(ann, name, facts),
    });
    versions.push({ name, sha256: hash });
  }

  const run = (options: { onlyMissing?: boolean } = {}, store: Pick<FsBlobStore, 'read'> = blobs) => {
    const lines: string[] = [];
    const done = reprocess(
      { versions: new PgPublishedVersions(t.db), blobs: store },
      { steps: [contentIndexStep(new PgVersionFileIndex(t.db))], batchSize: 2, onProgress: (p) => lines.push(progressLine(p)), ...options },
    );
    return done.then((progress) => ({ progress, lines }));
  };
  const indexed = async () =>
    (await t.db.query<{ name: string; path: string; content: string }>(
      `SELECT p.name, f.path, f.content FROM registry.version_files f
         JOIN registry.package_versions v ON v.id = f.version_id JOIN registry.packages p ON p.id = v.package_id
        ORDER BY p.name, f.path`,
    )).rows;
  const named = (list: ReprocessProgress['missing']) => list.map((v) => v.name);

  beforeAll(async () => {
    t = await engine.open();
    folder = await mkdtemp(join(tmpdir(), 'rfh-reprocess-'));
    blobs = new FsBlobStore(folder);
    const u = await new PgUserRepo(t.db).create({ username: 'ann', email: 'ann@example.com', passwordHash: 'h', role: 'publisher' });
    ann = { userId: u.id, username: 'ann', role: 'publisher', tokenHash: 'x' };
    await publish('alpha', { 'rules.md': 'Prefer the aardvark pattern.' });
    await publish('beta', { 'rules.md': 'Nothing special.', 'more/notes.txt': 'Beware of the basilisk.' });
    await publish('gone', { 'rules.md': 'Mentions the chimera.' }, false);
    await publish('delta', { 'rules.md': 'The dodo rule.' });
    // A blob stored under the hash of a published version that is not an archive at all.
    const junk = new TextEncoder().encode('not a tgz');
    junkHash = sha256(junk);
    await blobs.put(junkHash, junk);
    const raw = manifestFor('junk', '1.0.0', ['rules.md']);
    await new PgPackageRepo(t.db).publish({
      manifest: manifestSchema.parse(raw), rawManifest: raw, sha256: sha256(junk), sizeBytes: junk.length, files: [],
      publisher: ann, sourceIp: '127.0.0.1', authorize: (facts) => decidePublish(ann, 'junk', facts),
    });
  });
  afterAll(async () => {
    await t?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('rebuilds the index from the archives, skipping and reporting a missing and an unreadable archive', async () => {
    const published = await indexed();
    // As before migration 009: no indexed files at all.
    await t.db.query('DELETE FROM registry.version_files');
    expect(await new PgPackageRepo(t.db).search({ q: 'basilisk', limit: 20, offset: 0 }, ANONYMOUS)).toEqual([]);

    const { progress, lines } = await run();
    expect(progress).toMatchObject({ total: 5, visited: 5, changed: 3, alreadyDone: 0 });
    expect(named(progress.missing)).toEqual(['gone']);
    expect(progress.unreadable).toEqual([expect.objectContaining({ name: 'junk', problem: expect.stringMatching(/^Stored archive unreadable: /) })]);
    expect(lines).toEqual([
      'reprocess: 2/5 versions, 0 skipped (archive missing), 2 changed',
      'reprocess: 4/5 versions, 1 skipped (archive missing), 3 changed',
      'reprocess: 5/5 versions, 1 skipped (archive missing), 1 skipped (archive unreadable), 3 changed',
    ]);
    // What publish wrote, except the version whose archive is missing.
    expect(await indexed()).toEqual(published.filter((row) => row.name !== 'gone'));
    const hits = await new PgPackageRepo(t.db).search({ q: 'basilisk', limit: 20, offset: 0 }, ANONYMOUS);
    expect(hits.map((h) => [h.name, h.matches?.[0]?.path])).toEqual([['beta', 'more/notes.txt']]);
  });

  it('changes nothing when run again, and with --only-missing reads only versions not yet indexed', async () => {
    const before = await indexed();
    const again = await run();
    expect(again.progress).toMatchObject({ visited: 5, changed: 0, alreadyDone: 0 });
    expect(named(again.progress.missing)).toEqual(['gone']);
    expect(await indexed()).toEqual(before);

    const reads: string[] = [];
    const counting = { read: (hash: string) => (reads.push(hash), blobs.read(hash)) };
    const missingOnly = await run({ onlyMissing: true }, counting);
    expect(missingOnly.progress).toMatchObject({ visited: 5, changed: 0, alreadyDone: 3 });
    // Only the two versions that have nothing indexed: the missing archive and the unreadable one.
    expect(reads.sort()).toEqual([versions.find((v) => v.name === 'gone')!.sha256, junkHash].sort());
  });

  it('repairs rows that differ from the archive: changed text, a stray file, a missing file', async () => {
    await t.db.query(`UPDATE registry.version_files SET content = 'tampered' WHERE path = 'more/notes.txt'`);
    await t.db.query(
      `INSERT INTO registry.version_files (version_id, path, size_bytes, content)
       SELECT v.id, 'stray.md', 1, 'x' FROM registry.package_versions v JOIN registry.packages p ON p.id = v.package_id WHERE p.name = 'delta'`,
    );
    await t.db.query(
      `DELETE FROM registry.version_files f USING registry.package_versions v, registry.packages p
        WHERE v.id = f.version_id AND p.id = v.package_id AND p.name = 'alpha' AND f.path = 'rules.md'`,
    );
    const { progress } = await run();
    expect(progress.changed).toBe(3);
    const rows = await indexed();
    expect(rows.find((r) => r.path === 'more/notes.txt')?.content).toBe('Beware of the basilisk.');
    expect(rows.some((r) => r.path === 'stray.md')).toBe(false);
    expect(rows.find((r) => r.name === 'alpha' && r.path === 'rules.md')?.content).toBe('Prefer the aardvark pattern.');
  });

  it('stops at a store failure with that error', async () => {
    const failing = { read: () => Promise.reject(new StoreUnavailableError('blobs', new Error('disk gone'))) };
    await expect(run({}, failing)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
