import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { PgPackageRepo } from '../../shared/adapters/postgres/PgPackageRepo.js';
import { migrate } from '../../shared/db/migrate.js';
import { ANONYMOUS } from '../../shared/registries/Viewer.js';
import { createScratchDatabase } from '../../scripts/local/scratchDatabase.js';

// Named statements (as `npm start` connects) against unnamed ones (as the functions connect
// behind RDS Proxy): the same answers, and only the named form leaves prepared statements on
// the connection, one per distinct text however often it runs.
const scratchBase = process.env.DATABASE_URL;

describe.skipIf(!scratchBase)('PgDatabase statements on PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let named: PgDatabase;
  let unnamed: PgDatabase;
  beforeAll(async () => {
    scratch = await createScratchDatabase(scratchBase);
    named = new PgDatabase({ connectionString: scratch!.url, namedStatements: true, maxConnections: 1 });
    unnamed = new PgDatabase({ connectionString: scratch!.url, maxConnections: 1 });
    await migrate(unnamed);
  });
  afterAll(async () => {
    await named?.close();
    await unnamed?.close();
    await scratch?.drop();
  });

  const prepared = (db: PgDatabase) =>
    db.transaction(async (tx) => (await tx.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY prepare_time')).rows.map((r) => r.statement));

  it('prepares each distinct text once per connection and reuses it', async () => {
    const text = 'SELECT $1::int + 1 AS n';
    for (const i of [1, 2, 3]) expect((await named.query<{ n: number }>(text, [i])).rows[0]!.n).toBe(i + 1);
    expect((await named.query<{ s: string }>('SELECT upper($1::text) AS s', ['a'])).rows[0]!.s).toBe('A');
    const statements = await prepared(named);
    expect(statements.filter((s) => s === text)).toHaveLength(1);
    expect(statements).toContain('SELECT upper($1::text) AS s');
    // In a transaction too: the statement listing the others is itself named.
    expect(statements).toContain('SELECT statement FROM pg_prepared_statements ORDER BY prepare_time');
  });

  it('leaves nothing prepared when off', async () => {
    await unnamed.query('SELECT $1::int + 1 AS n', [1]);
    expect(await prepared(unnamed)).toEqual([]);
  });

  it('gives a repository the same answers either way, errors included', async () => {
    await unnamed.query("INSERT INTO registry.users (username, email, password_hash, role) VALUES ('root', 'root@example.com', 'x', 'root')");
    const repos = [new PgPackageRepo(named), new PgPackageRepo(unnamed)];
    for (const repo of repos) {
      expect(await repo.getPackage('missing', ANONYMOUS)).toBeNull();
      expect(await repo.search({ q: 'missing', limit: 5, offset: 0 }, ANONYMOUS)).toEqual([]);
    }
    // A statement PostgreSQL refuses, when it runs or already when it parses, fails the same way
    // named, every time, and the connection stays usable.
    for (const db of [named, unnamed]) {
      await expect(db.query('SELECT $1::int AS n', ['not a number'])).rejects.toMatchObject({ code: '22P02' });
      for (const _ of [1, 2]) await expect(db.query('SELECT no_such_column FROM registry.users WHERE id = $1::int', [1])).rejects.toMatchObject({ code: '42703' });
      expect((await db.query<{ n: number }>('SELECT $1::int AS n', [7])).rows[0]!.n).toBe(7);
    }
  });
});
