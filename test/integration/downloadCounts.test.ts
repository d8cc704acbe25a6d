import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgPackageRepo } from '../../shared/adapters/postgres/PgPackageRepo.js';
import { PgUserRepo } from '../../shared/adapters/postgres/PgUserRepo.js';
import { parseSideEffects } from '../../shared/adapters/sqs/SqsSideEffectQueue.js';
import { manifestSchema } from '../../shared/packages/manifest.js';
import { decidePublish, type PublishFacts } from '../../shared/packages/rights.js';
import type { SideEffect } from '../../shared/ports/SideEffectQueue.js';
import { ANONYMOUS } from '../../shared/registries/Viewer.js';
import { applySideEffects } from '../../shared/sideEffects/applySideEffects.js';
import { DOWNLOAD_MEMORY_MS, DOWNLOAD_WINDOW_MS, downloadClientKey, downloadWindow } from '../../shared/sideEffects/downloadCounts.js';
import { databaseEngines, type TestDatabase } from '../support/stores.js';
import { fakeSha256 } from '../support/repositoryFixtures.js';

// Download counting in the side-effect batches: each client once per version per window, settled
// by the database when batches race (as parallel SQS consumers do), on PGlite and, with
// DATABASE_URL, on a real PostgreSQL with a connection pool.

const HOUR = 3600_000;
const T0 = Date.UTC(2030, 0, 1, 10, 5); // 10:05, inside the 10:00 window

const download = (n: number, address: string, at = T0): SideEffect => ({ kind: 'download', sha256: fakeSha256(n), client: downloadClientKey(address, fakeSha256(n), at), at });

describe.each(databaseEngines)('download counts on $name', (engine) => {
  let t: TestDatabase;
  let repo: PgPackageRepo;
  const count = async (n: number) => (await repo.getVersion(`dl-${n}`, '1.0.0', ANONYMOUS))!.downloads;

  beforeAll(async () => {
    t = await engine.open();
    repo = new PgPackageRepo(t.db);
    const u = await new PgUserRepo(t.db).create({ username: 'ann', email: 'ann@example.com', passwordHash: 'h', role: 'publisher' });
    for (const n of [1, 2, 3, 4, 5, 6]) {
      const raw = { name: `dl-${n}`, version: '1.0.0', description: 'd', tags: [], targets: [] };
      const publisher = { userId: u.id, username: 'ann', role: 'publisher' as const, tokenHash: 'x' };
      const authorize = (facts: PublishFacts) => decidePublish(publisher, raw.name, facts);
      await repo.publish({ manifest: manifestSchema.parse(raw), rawManifest: raw, sha256: fakeSha256(n), sizeBytes: 1, files: [], publisher, sourceIp: '127.0.0.1', authorize });
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('racing batches of one client\'s downloads count it once', async () => {
    // 20 batches at once, each with 5 downloads by the same address (as 20 consumers would get them).
    const batches = Array.from({ length: 20 }, () => Array.from({ length: 5 }, () => download(1, '203.0.113.7')));
    await Promise.all(batches.map((b) => applySideEffects(t.db, b, T0 + 1000)));
    expect(await count(1)).toBe(1);
  });

  it('counts different clients separately, each once, also when their batches race', async () => {
    const addresses = Array.from({ length: 12 }, (_, i) => `198.51.100.${i + 1}`);
    const batches = addresses.flatMap((a) => Array.from({ length: 3 }, () => [download(2, a), download(2, a), download(3, a)]));
    await Promise.all(batches.map((b) => applySideEffects(t.db, b, T0 + 1000)));
    expect(await count(2)).toBe(12);
    expect(await count(3)).toBe(12);
  });

  it('counts nothing twice when SQS delivers a message again', async () => {
    const body = JSON.stringify([download(4, '192.0.2.1'), download(4, '192.0.2.2')]);
    for (let i = 0; i < 3; i++) await applySideEffects(t.db, parseSideEffects(body), T0 + 2000);
    expect(await count(4)).toBe(2);
  });

  it('counts a client again in the next window, forgets windows older than a day, and drops downloads that old', async () => {
    await applySideEffects(t.db, [download(5, '192.0.2.9')], T0);
    await applySideEffects(t.db, [download(5, '192.0.2.9', T0 + 30 * 60_000)], T0 + 30 * 60_000); // same hour
    expect(await count(5)).toBe(1);
    const nextHour = T0 + HOUR;
    await applySideEffects(t.db, [download(5, '192.0.2.9', nextHour)], nextHour);
    expect(await count(5)).toBe(2);

    const windows = async () =>
      (await t.db.query<{ w: string }>('SELECT DISTINCT extract(epoch FROM window_start)::bigint::text AS w FROM registry.download_clients ORDER BY 1')).rows.map((r) => Number(r.w) * 1000);
    expect(await windows()).toEqual([downloadWindow(T0), downloadWindow(nextHour)]);
    // A day and more later: a batch forgets the 10:00 window, keeps 11:00 (within the day).
    const later = downloadWindow(T0) + DOWNLOAD_MEMORY_MS + DOWNLOAD_WINDOW_MS + 60_000;
    await applySideEffects(t.db, [download(6, '192.0.2.9', later)], later);
    expect(await windows()).toEqual([downloadWindow(nextHour), downloadWindow(later)]);
    // A download recorded before the remembered windows is not counted (it might count twice).
    await applySideEffects(t.db, [download(5, '192.0.2.10', T0)], later);
    expect(await count(5)).toBe(2);
    expect(await count(6)).toBe(1);
  });

  it('stores a key per client, never the address', async () => {
    const { rows } = await t.db.query<{ client_hash: string }>('SELECT client_hash FROM registry.download_clients');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.client_hash).toMatch(/^[0-9a-f]{64}$/);
    // Different windows and different versions give one address unrelated keys.
    expect(downloadClientKey('192.0.2.9', fakeSha256(5), T0)).not.toBe(downloadClientKey('192.0.2.9', fakeSha256(5), T0 + HOUR));
    expect(downloadClientKey('192.0.2.9', fakeSha256(5), T0)).not.toBe(downloadClientKey('192.0.2.9', fakeSha256(6), T0));
    expect(downloadClientKey('192.0.2.9', fakeSha256(5), T0)).toBe(downloadClientKey('192.0.2.9', fakeSha256(5), T0 + 50 * 60_000));
  });

  it('still counts downloads recorded without a client key (queued before keys existed)', async () => {
    const before = await count(6);
    await applySideEffects(t.db, [{ kind: 'download', sha256: fakeSha256(6) }, { kind: 'download', sha256: fakeSha256(6) }]);
    expect(await count(6)).toBe(before + 2);
  });
});
