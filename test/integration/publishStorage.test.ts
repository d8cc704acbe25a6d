import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRequest } from '../../scripts/bench/archives.js';
import { FsBlobStore, STAGING_DIR } from '../../scripts/local/FsBlobStore.js';
import { PgPackageRepo } from '../../shared/adapters/postgres/PgPackageRepo.js';
import { PgRegistryRepo } from '../../shared/adapters/postgres/PgRegistryRepo.js';
import { createS3Client, S3BlobStore } from '../../shared/adapters/s3/S3BlobStore.js';
import type { Principal } from '../../shared/auth/Principal.js';
import { publish } from '../../shared/packages/publish.js';
import { parsePublishForm } from '../../shared/packages/publishForm.js';
import { decidePublish } from '../../shared/packages/rights.js';
import type { BlobStore } from '../../shared/ports/BlobStore.js';
import type { Role } from '../../shared/auth/roles.js';
import type { Dependencies } from '../../shared/runtime/Dependencies.js';
import { decideRegistryCreation } from '../../shared/registries/rights.js';
import { startEmulatedS3 } from '../support/emulatedS3.js';
import { databaseEngines, type TestDatabase } from '../support/stores.js';
import { createPrincipal } from '../support/repositoryFixtures.js';

// A publish stores nothing under a content address unless its version row commits with it: a
// refused publish (403, 404, 409) writes no blob at all, a publish whose transaction fails leaves
// at most staged data (which the store sweeps), and no committed row lacks its blob.

interface BlobEngine {
  name: string;
  open(): Promise<{ store: BlobStore; staged(): Promise<string[]>; contentAddressed(): Promise<string[]>; close(): Promise<void> }>;
}

const blobEngines: BlobEngine[] = [
  {
    name: 'FsBlobStore',
    async open() {
      const root = await mkdtemp(join(tmpdir(), 'rfh-publish-blobs-'));
      const list = async (dir: string) => readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
      return {
        store: new FsBlobStore(root),
        staged: () => list(join(root, STAGING_DIR)),
        async contentAddressed() {
          const dirs = (await list(root)).filter((d) => /^[0-9a-f]{2}$/.test(d));
          return (await Promise.all(dirs.map((d) => list(join(root, d))))).flat().map((f) => f.replace(/\.tgz$/, ''));
        },
        close: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'S3BlobStore on s3rver',
    async open() {
      const bucket = 'rfh-publish-storage';
      const s3rver = await startEmulatedS3(bucket);
      const client: S3Client = createS3Client({ S3_ENDPOINT: `http://127.0.0.1:${s3rver.port}` });
      const keys = async (prefix: string) =>
        ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
      return {
        store: new S3BlobStore(client, bucket),
        staged: () => keys('staging/'),
        contentAddressed: async () => (await keys('archives/')).map((k) => k.replace(/^archives\/[0-9a-f]{2}\/|\.tgz$/g, '')),
        async close() {
          client.destroy();
          await s3rver.stop();
        },
      };
    },
  },
];

const cases = databaseEngines.flatMap((db) => blobEngines.map((blobs) => ({ db, blobs, label: `${db.name} + ${blobs.name}` })));

describe.each(cases)('publish storage on $label', ({ db, blobs }) => {
  let t: TestDatabase;
  let b: Awaited<ReturnType<BlobEngine['open']>>;
  let deps: Dependencies;
  const people: Record<string, Principal> = {};

  const person = async (username: string, role: Role) => (people[username] = await createPrincipal(t.db, username, role));

  /** A publish request as the client sends it, with the SHA-256 of its archive. */
  async function request(name: string, version: string, text = `# ${name} ${version}\n`) {
    const req = await publishRequest(name, version, { 'rules.md': text });
    const { archive } = await parsePublishForm(req.body, req.contentType);
    return { ...req, sha256: createHash('sha256').update(archive).digest('hex') };
  }

  /** The publish use case with a real form; resolves to the answer's status, or to the error's. */
  async function attempt(who: Principal, name: string, version: string, text?: string) {
    return send(who, await request(name, version, text));
  }

  async function send(who: Principal, req: Awaited<ReturnType<typeof request>>) {
    const { sha256 } = req;
    try {
      const answer = await publish(deps, who, req.body, req.contentType, '127.0.0.1');
      return { sha256, status: answer.status };
    } catch (err) {
      return { sha256, status: (err as { status?: number }).status ?? 500, error: err };
    }
  }

  beforeAll(async () => {
    t = await db.open();
    b = await blobs.open();
    const packages = new PgPackageRepo(t.db);
    deps = { db: t.db, packages, registries: new PgRegistryRepo(t.db), blobs: b.store, blobWrites: b.store } as unknown as Dependencies;
    await person('ann', 'publisher');
    await person('ben', 'publisher');
    await person('cid', 'user');
    await new PgRegistryRepo(t.db).create({ name: 'vault', description: 'private', visibility: 'private' }, { actor: people.ann!, sourceIp: '127.0.0.1' }, (facts) =>
      decideRegistryCreation(10, facts),
    );
  });
  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  it('publishes: the archive under its content address, nothing left in staging', async () => {
    const req = await request('stored-pkg', '1.0.0');
    const ok = await send(people.ann!, req);
    expect(ok.status).toBe(201);
    expect(await b.contentAddressed()).toContain(ok.sha256);
    expect(await b.staged()).toEqual([]);
    expect((await send(people.ann!, req)).status).toBe(200); // an identical retry
    expect(await b.staged()).toEqual([]);
  });

  it('a 403 (no publisher role; not an owner) stores nothing at all', async () => {
    const noRole = await attempt(people.cid!, 'cid-pkg', '1.0.0');
    expect(noRole.status).toBe(403);
    const notOwner = await attempt(people.ben!, 'stored-pkg', '2.0.0');
    expect(notOwner.status).toBe(403);
    const stored = await b.contentAddressed();
    expect(stored).not.toContain(noRole.sha256);
    expect(stored).not.toContain(notOwner.sha256);
    expect(await b.staged()).toEqual([]);
  });

  it('a 404 (a private registry the publisher cannot see) stores nothing at all', async () => {
    const hidden = await attempt(people.ben!, '@vault/secret', '1.0.0');
    expect(hidden.status).toBe(404);
    expect(await b.contentAddressed()).not.toContain(hidden.sha256);
    expect(await b.staged()).toEqual([]);
  });

  it('a 409 (the version exists with other bytes) stores nothing at all', async () => {
    const conflict = await attempt(people.ann!, 'stored-pkg', '1.0.0', '# other bytes\n');
    expect(conflict.status).toBe(409);
    expect(await b.contentAddressed()).not.toContain(conflict.sha256);
    expect(await b.staged()).toEqual([]);
  });

  it('racing publishes of one version with different bytes: only the winner is stored, the losers (409 in the transaction) leave nothing', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => attempt(people.ann!, 'race-pkg', '1.0.0', `# candidate ${i}\n`)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const stored = await b.contentAddressed();
    for (const r of results) expect(stored.includes(r.sha256), `${r.status}`).toBe(r.status === 201);
    expect(await b.staged()).toEqual([]);
  });

  it('a publish whose transaction fails leaves no content-addressed blob and no row', async () => {
    await t.db.query(`CREATE FUNCTION registry.test_refuse_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.version = '6.6.6' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await t.db.query(`CREATE TRIGGER test_refuse_version AFTER INSERT ON registry.package_versions
      FOR EACH ROW EXECUTE FUNCTION registry.test_refuse_version()`);
    try {
      const failed = await attempt(people.ann!, 'stored-pkg', '6.6.6');
      expect(String((failed as { error?: unknown }).error)).toContain('refused by the test');
      expect(await b.contentAddressed()).not.toContain(failed.sha256);
      expect(await b.staged()).toEqual([]); // discarded; had that failed too, the sweep would take it
      const { rows } = await t.db.query("SELECT 1 FROM registry.package_versions WHERE version = '6.6.6'");
      expect(rows).toEqual([]);
    } finally {
      await t.db.query('DROP TRIGGER test_refuse_version ON registry.package_versions');
      await t.db.query('DROP FUNCTION registry.test_refuse_version()');
    }
  });

  it('a promotion that fails rolls the version back: a row never lacks its blob', async () => {
    const failing: BlobStore = {
      ...b.store,
      put: (s, x) => b.store.put(s, x),
      download: (s) => b.store.download(s),
      ping: () => b.store.ping(),
      async stage(sha256, bytes) {
        const staged = await b.store.stage(sha256, bytes);
        return { ...staged, staged: staged.staged, discard: () => staged.discard(), promote: () => Promise.reject(new Error('blob store down')) };
      },
    };
    const saved = deps.blobWrites;
    deps.blobWrites = failing;
    try {
      const failed = await attempt(people.ann!, 'stored-pkg', '7.0.0');
      expect(String((failed as { error?: unknown }).error)).toContain('blob store down');
      expect(await b.contentAddressed()).not.toContain(failed.sha256);
      const { rows } = await t.db.query("SELECT 1 FROM registry.package_versions WHERE version = '7.0.0'");
      expect(rows).toEqual([]);
    } finally {
      deps.blobWrites = saved;
    }
  });

  it('checkPublish refuses exactly what publish refuses, writing nothing', async () => {
    const packages = deps.packages;
    const check = (who: Principal, name: string, version: string, sha256 = 'f'.repeat(64)) =>
      packages.checkPublish({ name, version, sha256, publisher: who, authorize: (facts) => decidePublish(who, name, facts) }).then(
        () => 'ok',
        (err: { status?: number }) => err.status,
      );
    const { rows } = await t.db.query<{ sha256: string }>(
      "SELECT v.sha256 FROM registry.package_versions v JOIN registry.packages p ON p.id = v.package_id WHERE p.name = 'stored-pkg' AND v.version = '1.0.0'",
    );
    const published = rows[0]!.sha256;
    const ada = people.ada ?? (await person('ada', 'admin'));
    expect(await check(people.ann!, 'brand-new', '1.0.0')).toBe('ok');
    expect(await check(people.cid!, 'brand-new', '1.0.0')).toBe(403); // no publisher role
    expect(await check(people.ben!, 'stored-pkg', '9.0.0')).toBe(403); // not an owner
    expect(await check(ada, 'stored-pkg', '9.0.0')).toBe('ok'); // an admin may
    expect(await check(people.ann!, 'stored-pkg', '1.0.0', published)).toBe('ok'); // an identical retry
    expect(await check(people.ann!, 'stored-pkg', '1.0.0')).toBe(409);
    expect(await check(ada, 'stored-pkg', '1.0.0')).toBe(409);
    expect(await check(people.ann!, '@nowhere/x', '1.0.0')).toBe(404);
    expect(await check(people.ben!, '@vault/x', '1.0.0')).toBe(404); // private, not a member
    expect(await check(people.ann!, '@vault/x', '1.0.0')).toBe('ok'); // its admin
    const viaToken: Principal = { ...people.ann!, apiToken: { id: '00000000-0000-0000-0000-000000000000', registry: 'vault', scopes: ['publish'] } };
    expect(await check(viaToken, 'brand-new', '1.0.0')).toBe(403); // a token publishes into its registry only
  });

  it('every committed version has its blob', async () => {
    const { rows } = await t.db.query<{ sha256: string }>('SELECT sha256 FROM registry.package_versions');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const stored = new Set(await b.contentAddressed());
    for (const r of rows) expect(stored.has(r.sha256), r.sha256).toBe(true);
  });
});
