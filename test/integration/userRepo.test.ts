import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataApiDatabase } from '../../shared/adapters/postgres/DataApiDatabase.js';
import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { PgUserRepo } from '../../shared/adapters/postgres/PgUserRepo.js';
import { migrate } from '../../shared/db/migrate.js';
import { migrations } from '../../shared/db/migrations/index.js';
import { applySideEffects } from '../../shared/sideEffects/applySideEffects.js';
import { ApiError } from '../../shared/errors.js';
import { createScratchDatabase } from '../../scripts/local/scratchDatabase.js';
import { FakeDataApi } from '../support/fakeDataApi.js';
import { databaseEngines, FAKE_DATA_API_TARGET, type TestDatabase } from '../support/stores.js';

describe.each(databaseEngines)('PgUserRepo on $name', (engine) => {
  let t: TestDatabase;
  let repo: PgUserRepo;
  beforeAll(async () => {
    t = await engine.open();
    repo = new PgUserRepo(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates and finds users case-insensitively', async () => {
    const u = await repo.create({ username: 'Alice', email: 'alice@example.com', passwordHash: 'h', role: 'user' });
    expect(u).toMatchObject({ username: 'Alice', role: 'user', active: true, authVersion: 1, lastLogin: null });
    expect(u.createdAt).toBeInstanceOf(Date);
    expect((await repo.findByUsername('alice'))?.id).toBe(u.id);
    expect((await repo.findById(u.id))?.username).toBe('Alice');
    expect(await repo.findByUsername('nobody')).toBeNull();
  });

  it('finds and changes a user only by its canonical name, never through what lower() folds beyond ASCII', async () => {
    const mini = await repo.create({ username: 'mini', email: 'mini@example.com', passwordHash: 'h', role: 'user' });
    expect((await repo.findByUsername('MiNi'))?.id).toBe(mini.id);
    // U+0130: the database's lower() turns it into "i", but no such name is a username.
    for (const spelling of ['miNİ', 'mİni', 'mİnİ', 'MİNİ']) {
      expect(await repo.findByUsername(spelling), spelling).toBeNull();
      expect(await repo.setRole(spelling, 'admin'), spelling).toBe('not-found');
    }
    expect((await repo.findById(mini.id))?.role).toBe('user');
    expect(await repo.setRole('MINI', 'publisher')).toMatchObject({ userId: mini.id, role: 'publisher' });
    // Even a stored name outside the pattern (written around registration) is never matched by
    // the ASCII name its lower() folds to.
    await t.db.query("INSERT INTO registry.users (username, email, password_hash) VALUES ('İvan', 'ivan@example.com', 'h')");
    expect(await repo.findByUsername('ivan')).toBeNull();
    expect(await repo.setRole('ivan', 'admin')).toBe('not-found');
  });

  it('settles duplicate usernames and emails with the unique indexes (409)', async () => {
    await repo.create({ username: 'bob', email: 'bob@example.com', passwordHash: 'h', role: 'user' });
    await expect(repo.create({ username: 'BOB', email: 'x@example.com', passwordHash: 'h', role: 'user' })).rejects.toMatchObject({
      status: 409,
      message: 'Username is already taken',
    });
    await expect(repo.create({ username: 'bob2', email: 'BOB@example.com', passwordHash: 'h', role: 'user' })).rejects.toMatchObject({
      status: 409,
      message: 'Email address is already registered',
    });
  });

  it('under concurrent inserts of one name, exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => repo.create({ username: 'carol', email: `c${i}@example.com`, passwordHash: 'h', role: 'user' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ApiError);
  });

  it('allows exactly one root, also when created concurrently', async () => {
    const created = await Promise.all(Array.from({ length: 5 }, () => repo.ensureRoot('root-hash')));
    expect(created.filter(Boolean)).toHaveLength(1);
    await expect(t.db.query("UPDATE registry.users SET role = 'root' WHERE username = 'bob'")).rejects.toMatchObject({ code: '23505' });
    const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM registry.users WHERE role = 'root'");
    expect(rows[0]!.n).toBe(1);
  });

  it('bumps auth_version on password change and deactivation; never deactivates root', async () => {
    const u = await repo.create({ username: 'dave', email: 'dave@example.com', passwordHash: 'old', role: 'publisher' });
    const revocation = { revokeBefore: Date.now(), audit: { actor: { userId: u.id, username: 'dave', role: 'publisher' as const, tokenHash: 'x' }, sourceIp: '127.0.0.1' } };
    const changed = await repo.updatePassword(u.id, 'new', revocation);
    expect(changed).toEqual({ userId: u.id, authVersion: 2, role: 'publisher', active: true });
    const gone = await repo.deactivate(u.id, revocation);
    expect(gone).toEqual({ userId: u.id, authVersion: 3, role: 'publisher', active: false });
    expect(await repo.deactivate(u.id, revocation)).toBeNull();
    expect(await repo.updatePassword(u.id, 'again', revocation)).toBeNull();
    const root = await repo.findByUsername('root');
    expect(await repo.deactivate(root!.id, revocation)).toBeNull();
  });

  it('applies last_login side effects in one batch, never moving last_login backwards', async () => {
    const u = await repo.create({ username: 'erin', email: 'erin@example.com', passwordHash: 'h', role: 'user' });
    const v = await repo.create({ username: 'vic', email: 'vic@example.com', passwordHash: 'h', role: 'user' });
    const jan2 = Date.parse('2026-01-02T00:00:00Z');
    await applySideEffects(t.db, [
      { kind: 'last-login', userId: u.id, at: jan2 },
      { kind: 'last-login', userId: u.id, at: jan2 - 86_400_000 },
      { kind: 'last-login', userId: v.id, at: jan2 - 1000 },
    ]);
    await applySideEffects(t.db, [{ kind: 'last-login', userId: u.id, at: jan2 - 5000 }]);
    expect((await repo.findById(u.id))?.lastLogin?.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect((await repo.findById(v.id))?.lastLogin?.toISOString()).toBe('2026-01-01T23:59:59.000Z');
  });

  it('migrations are idempotent', async () => {
    expect(await migrate(t.db)).toEqual([]);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('migrations on a real PostgreSQL server', () => {
  it('are safe when several processes migrate at once', async () => {
    const scratch = (await createScratchDatabase())!;
    const dbs = Array.from({ length: 4 }, () => new PgDatabase({ connectionString: scratch.url }));
    try {
      const applied = await Promise.all(dbs.map((db) => migrate(db)));
      expect(applied.flat().filter((id) => id === '001_users')).toHaveLength(1);
      expect(new Set(applied.flat()).size).toBe(applied.flat().length);
      const { rows } = await dbs[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM registry.schema_migrations');
      expect(rows[0]!.n).toBe(applied.flat().length);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await scratch.drop();
    }
  });

  it('are safe when several processes migrate at once through the Data API (fake over that server)', async () => {
    const scratch = (await createScratchDatabase())!;
    const fake = FakeDataApi.overPostgres(scratch.url);
    const dbs = Array.from({ length: 4 }, () => new DataApiDatabase({ ...FAKE_DATA_API_TARGET, client: fake.client }));
    try {
      const applied = await Promise.all(dbs.map((db) => migrate(db)));
      expect(applied.flat().sort()).toEqual(migrations.map((m) => m.id).sort());
      expect(await migrate(dbs[0]!)).toEqual([]);
    } finally {
      await fake.close();
      await scratch.drop();
    }
  });
});

describe('PgDatabase failures', () => {
  it('turns an unreachable server into StoreUnavailableError', async () => {
    const db = new PgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 500 });
    await expect(db.query('SELECT 1')).rejects.toMatchObject({ name: 'StoreUnavailableError', store: 'postgres' });
    await expect(db.transaction(async () => 1)).rejects.toMatchObject({ name: 'StoreUnavailableError' });
    await db.close();
  });
});
