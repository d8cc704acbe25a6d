import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../shared/errors.js';
import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { PgPackageRepo } from '../../shared/adapters/postgres/PgPackageRepo.js';
import { migrate } from '../../shared/db/migrate.js';
import { ANONYMOUS } from '../../shared/registries/Viewer.js';
import { pipelinedConnections } from '../../scripts/local/localRuntime.js';
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

describe.skipIf(!scratchBase)('PgDatabase pipelined statements on PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: PgDatabase;
  beforeAll(async () => {
    scratch = await createScratchDatabase(scratchBase);
    // One pipelined connection beside a pool of four, which only transactions use.
    db = new PgDatabase({ connectionString: scratch!.url, namedStatements: true, maxConnections: 4, pipelinedConnections: 1, statementTimeoutMs: 400 });
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  const backendOf = async (n: number) => (await db.query<{ pid: number; n: number }>('SELECT pg_backend_pid() AS pid, $1::int AS n', [n])).rows[0]!;

  it('sends concurrent statements down one connection, each answered with its own rows', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => backendOf(i)));
    expect(answers.map((a) => a.n)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(new Set(answers.map((a) => a.pid)).size).toBe(1);
    // Transactions take a pooled connection of their own.
    const inTransaction = await db.transaction(async (tx) => (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    expect(inTransaction).not.toBe(answers[0]!.pid);
    expect(db.poolStats().pipelined).toEqual({ connections: 1, inFlight: 0 });
  });

  it('fails a refused statement alone; those sent with it are answered', async () => {
    const results = await Promise.allSettled([backendOf(1), db.query('SELECT 1 / $1::int AS n', [0]), backendOf(3), db.query('SELECT $1::int AS n', ['x']), backendOf(5)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: '22012' });
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: '22P02' });
    expect([results[0], results[2], results[4]].map((r) => (r as PromiseFulfilledResult<{ n: number }>).value.n)).toEqual([1, 3, 5]);
  });

  it('ends a statement at the statement timeout; those queued behind it are then answered', async () => {
    const slow = db.query('SELECT pg_sleep(2)');
    const quick = Promise.all([backendOf(7), backendOf(8)]);
    await expect(slow).rejects.toBeInstanceOf(StoreUnavailableError);
    expect((await quick).map((a) => a.n)).toEqual([7, 8]);
  });

  it('drops a connection that broke and opens another for the next statement', async () => {
    const { pid } = await backendOf(1);
    await db.transaction((tx) => tx.query('SELECT pg_terminate_backend($1::int)', [pid]));
    // The first statement on the dead connection may fail (as unavailable, never as a wrong
    // answer); a later one runs on a new connection.
    let answer: { pid: number; n: number } | undefined;
    for (let attempt = 0; attempt < 3 && !answer; attempt++) {
      answer = await backendOf(2).catch((err: unknown) => {
        expect(err).toBeInstanceOf(StoreUnavailableError);
        return undefined;
      });
    }
    expect(answer?.n).toBe(2);
    expect(answer?.pid).not.toBe(pid);
  });
});

describe('DATABASE_PIPELINED_CONNECTIONS', () => {
  it('is a whole number from 0 to 64, by default one per core and at least 2', () => {
    expect(pipelinedConnections('0')).toBe(0);
    expect(pipelinedConnections('8')).toBe(8);
    expect(pipelinedConnections(undefined)).toBeGreaterThanOrEqual(2);
    for (const bad of ['-1', '65', '1.5', 'many']) expect(() => pipelinedConnections(bad)).toThrow(/DATABASE_PIPELINED_CONNECTIONS/);
  });
});
