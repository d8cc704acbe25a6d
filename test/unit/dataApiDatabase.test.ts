import { randomUUID } from 'node:crypto';
import {
  BadRequestException,
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseResumingException,
  DatabaseUnavailableException,
  ExecuteStatementCommand,
  ForbiddenException,
  InternalServerErrorException,
  RDSDataClient,
  RDSDataServiceException,
  RollbackTransactionCommand,
  ServiceUnavailableError,
  StatementTimeoutException,
  TransactionNotFoundException,
  type ArrayValue,
  type ExecuteStatementCommandInput,
  type ExecuteStatementCommandOutput,
  type Field,
} from '@aws-sdk/client-rds-data';
import type { PGlite } from '@electric-sql/pglite';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DataApiDatabase,
  DataApiError,
  certainlyNotExecuted,
  createDataApiClient,
  parseTimestamp,
  splitStatements,
  toDataApiError,
  toField,
} from '../../shared/adapters/postgres/DataApiDatabase.js';
import { PgPackageRepo } from '../../shared/adapters/postgres/PgPackageRepo.js';
import { PgRegistryRepo } from '../../shared/adapters/postgres/PgRegistryRepo.js';
import { PgUserRepo } from '../../shared/adapters/postgres/PgUserRepo.js';
import { PgRevocationOutbox } from '../../shared/adapters/postgres/PgRevocationOutbox.js';
import { migrations } from '../../shared/db/migrations/index.js';
import type { Principal } from '../../shared/auth/Principal.js';
import { migrate } from '../../shared/db/migrate.js';
import { ApiError, StoreUnavailableError } from '../../shared/errors.js';
import { manifestSchema } from '../../shared/packages/manifest.js';
import { decideOwnerAddition, decideOwnerChange, decidePublish, type PublishFacts } from '../../shared/packages/rights.js';
import { constraintName, sqlState, type Database } from '../../shared/ports/Database.js';
import { ANONYMOUS, viewerOf } from '../../shared/registries/Viewer.js';
import { decideRegistryCreation, decideTokenCreation, type RegistryCreationFacts, type TokenCreationFacts } from '../../shared/registries/rights.js';
import { isSafeToRepeat } from '../../shared/resilience/GuardedDatabase.js';
import { applySideEffects } from '../../shared/sideEffects/applySideEffects.js';
import { createPglite } from '../../scripts/local/blankPgliteCluster.js';
import { PgliteDatabase } from '../../scripts/local/PgliteDatabase.js';
import { FakeDataApi } from '../support/fakeDataApi.js';

// What the driver asks of the Data API, request by request (aws-sdk-client-mock); how the fake Data
// API (test/support/fakeDataApi.ts) types values, as the real one does; and, at the end, the real
// repositories running on the driver against that fake over PGlite, compared with PGlite itself.
// The repository suites in test/integration run on the driver and the fake as well.
const rds = mockClient(RDSDataClient);
const client = new RDSDataClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
const TARGET = { resourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:rfh', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app', database: 'rfh' };
const newDb = () => new DataApiDatabase({ ...TARGET, client });

const executed = (): ExecuteStatementCommandInput[] => rds.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input);
const lastExecuted = () => executed().at(-1)!;
const param = (input: ExecuteStatementCommandInput, name: string) => input.parameters?.find((p) => p.name === name)?.value;

const rejection = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => expect.unreachable('should have rejected'),
    (e: unknown) => e,
  );
const badRequest = (message: string) => new BadRequestException({ message, $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  rds.reset();
  rds.on(ExecuteStatementCommand).resolves({ records: [], columnMetadata: [], numberOfRecordsUpdated: 0 });
});

describe('placeholders', () => {
  it('rewrites $n to :pn, telling $1 from $10 and $11', async () => {
    const params = Array.from({ length: 11 }, (_, i) => `v${i + 1}`);
    await newDb().query('SELECT $1 AS a, $10 AS j, $11 AS k, $2 AS b, $3, $4, $5, $6, $7, $8, $9', params);
    const input = lastExecuted();
    expect(input.sql).toBe('SELECT :p1 AS a, :p10 AS j, :p11 AS k, :p2 AS b, :p3, :p4, :p5, :p6, :p7, :p8, :p9');
    expect(input.parameters!.map((p) => p.name)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 'p10', 'p11']);
    expect(param(input, 'p1')).toEqual({ stringValue: 'v1' });
    expect(param(input, 'p10')).toEqual({ stringValue: 'v10' });
    expect(param(input, 'p11')).toEqual({ stringValue: 'v11' });
  });

  it('sends a repeated placeholder once and names it at every use', async () => {
    await newDb().query('SELECT 1 WHERE $1 = lower($1) OR upper($1) = $2', ['x', 'y']);
    const input = lastExecuted();
    expect(input.sql).toBe('SELECT 1 WHERE :p1 = lower(:p1) OR upper(:p1) = :p2');
    expect(input.parameters).toEqual([
      { name: 'p1', value: { stringValue: 'x' } },
      { name: 'p2', value: { stringValue: 'y' } },
    ]);
  });

  it('leaves $ alone in literals, quoted identifiers, identifiers, comments and dollar-quoted bodies', async () => {
    const sql = `SELECT '$1 it''s', E'\\' $1', "col$1", price$1, $$ $1 $$, $fn$ SELECT $1; $fn$, $1 -- $2
      /* $2 /* nested $2 */ still comment $2 */ FROM t`;
    await newDb().query(sql, ['v']);
    expect(lastExecuted().sql).toBe(sql.replace(', $1 --', ', :p1 --'));
    expect(lastExecuted().parameters).toEqual([{ name: 'p1', value: { stringValue: 'v' } }]);
  });

  it('keeps the casts the SQL writes and adds none of its own', async () => {
    await newDb().query('SELECT $1::uuid, $2 :: int[], CAST($3 AS jsonb), $4::timestamptz, unnest($5::float8[])', [
      'a',
      [1, 2],
      { a: 1 },
      new Date('2024-01-02T03:04:05.678Z'),
      [1.5],
    ]);
    const input = lastExecuted();
    expect(input.sql).toBe('SELECT :p1::uuid, :p2 :: int[], CAST(:p3 AS jsonb), :p4::timestamptz, unnest(:p5::float8[])');
    expect(param(input, 'p2')).toEqual({ stringValue: '{"1","2"}' });
    expect(param(input, 'p4')).toEqual({ stringValue: '2024-01-02T03:04:05.678Z' });
    expect(input.parameters!.every((p) => p.typeHint === undefined)).toBe(true);
  });

  it('sends a statement as written but for its placeholders: no catalog read, no casts of its own', async () => {
    const sql = 'INSERT INTO registry.api_tokens (id, registry_id, name, scopes, expires_at) VALUES ($1, $2, $3, $4, $5)';
    await newDb().query(sql, [randomUUID(), 1, 'ci', ['read'], new Date(0)]);
    expect(executed().map((i) => i.sql)).toEqual(['INSERT INTO registry.api_tokens (id, registry_id, name, scopes, expires_at) VALUES (:p1, :p2, :p3, :p4, :p5)']);
  });

  it('refuses a parameter count that does not match the statement, as PostgreSQL does', async () => {
    await expect(newDb().query('SELECT $1, $2', ['only one'])).rejects.toThrow(/2 parameter\(s\) but 1/);
    await expect(newDb().query('SELECT 1', ['extra'])).rejects.toThrow(/0 parameter\(s\) but 1/);
    expect(executed()).toHaveLength(0);
  });

  it('drops a trailing semicolon and sends the target, metadata and typed-record options', async () => {
    await newDb().query('SELECT 1;  ');
    expect(lastExecuted()).toEqual({
      ...TARGET,
      sql: 'SELECT 1',
      includeResultMetadata: true,
      resultSetOptions: { longReturnType: 'STRING', decimalReturnType: 'STRING' },
    });
  });
});

describe('parameter kinds', () => {
  const sent = async (value: unknown): Promise<{ sql: string; value: Field | undefined }> => {
    await newDb().query('SELECT $1 AS v', [value]);
    return { sql: lastExecuted().sql!, value: param(lastExecuted(), 'p1') };
  };

  it('maps scalars to the Data API value types', async () => {
    expect(await sent(null)).toEqual({ sql: 'SELECT :p1 AS v', value: { isNull: true } });
    expect(await sent(undefined)).toEqual({ sql: 'SELECT :p1 AS v', value: { isNull: true } });
    expect(await sent(42)).toEqual({ sql: 'SELECT :p1 AS v', value: { longValue: 42 } });
    expect(await sent(-7)).toEqual({ sql: 'SELECT :p1 AS v', value: { longValue: -7 } });
    expect(await sent(1.5)).toEqual({ sql: 'SELECT :p1 AS v', value: { doubleValue: 1.5 } });
    expect(await sent(true)).toEqual({ sql: 'SELECT :p1 AS v', value: { booleanValue: true } });
    expect(await sent(false)).toEqual({ sql: 'SELECT :p1 AS v', value: { booleanValue: false } });
    expect(await sent('text')).toEqual({ sql: 'SELECT :p1 AS v', value: { stringValue: 'text' } });
    expect(await sent('')).toEqual({ sql: 'SELECT :p1 AS v', value: { stringValue: '' } });
    expect(await sent(7n)).toEqual({ sql: 'SELECT :p1 AS v', value: { longValue: 7 } });
    expect(await sent(2n ** 70n)).toEqual({ sql: 'SELECT :p1 AS v', value: { stringValue: (2n ** 70n).toString() } });
    expect(await sent(NaN)).toEqual({ sql: 'SELECT :p1 AS v', value: { stringValue: 'NaN' } });
    expect(await sent(-Infinity)).toEqual({ sql: 'SELECT :p1 AS v', value: { stringValue: '-Infinity' } });
    const bytes = Buffer.from([1, 2, 3]);
    expect(await sent(bytes)).toEqual({ sql: 'SELECT :p1 AS v', value: { blobValue: bytes } });
  });

  it('sends a Date as ISO-8601 UTC text for a timestamptz cast (zone-exact, unlike the TIMESTAMP hint)', async () => {
    expect(await sent(new Date('2024-02-29T23:59:58.123Z'))).toEqual({
      sql: 'SELECT :p1 AS v',
      value: { stringValue: '2024-02-29T23:59:58.123Z' },
    });
    expect(lastExecuted().parameters![0]!.typeHint).toBeUndefined();
  });

  it('sends an object as JSON text for a jsonb cast', async () => {
    expect(await sent({ a: [1, 'two'], b: null })).toEqual({ sql: 'SELECT :p1 AS v', value: { stringValue: '{"a":[1,"two"],"b":null}' } });
  });

  it('sends arrays as PostgreSQL array literals (text) for an array cast', async () => {
    const literal = async (value: unknown[]) => {
      const { sql, value: field } = await sent(value);
      expect(sql).toBe('SELECT :p1 AS v');
      return field;
    };
    expect(await literal(['a', 'b"c', 'd\\e', 'f,g', '{h}', null, 'NULL', ''])).toEqual({ stringValue: '{"a","b\\"c","d\\\\e","f,g","{h}",NULL,"NULL",""}' });
    expect(await literal([1, 2, 3])).toEqual({ stringValue: '{"1","2","3"}' });
    expect(await literal([1.5, 2])).toEqual({ stringValue: '{"1.5","2"}' });
    expect(await literal([true, false])).toEqual({ stringValue: '{"true","false"}' });
    expect(await literal([new Date(0)])).toEqual({ stringValue: '{"1970-01-01T00:00:00.000Z"}' });
    expect(await literal([{ a: 1 }])).toEqual({ stringValue: '{"{\\"a\\":1}"}' });
    expect(await literal([[1, 2], [3, null]])).toEqual({ stringValue: '{{"1","2"},{"3",NULL}}' });
    expect(await literal([])).toEqual({ stringValue: '{}' });
    expect(toField([null])).toEqual({ stringValue: '{NULL}' });
  });

  it('relies on the casts the repositories write for unnest($1::int[]) and friends', async () => {
    await newDb().query('SELECT unnest($1::int[]) AS id, unnest($2::text[]) AS s, unnest($3::uuid[]) AS u', [[1, 2], ['x'], [randomUUID()]]);
    expect(lastExecuted().sql).toBe('SELECT unnest(:p1::int[]) AS id, unnest(:p2::text[]) AS s, unnest(:p3::uuid[]) AS u');
  });
});

describe('results', () => {
  const answer = (columns: Array<[string, string]>, records: Field[][], extra: Partial<ExecuteStatementCommandOutput> = {}) =>
    rds.on(ExecuteStatementCommand).resolves({ columnMetadata: columns.map(([label, typeName]) => ({ name: label, label, typeName })), records, ...extra });

  it('decodes typed records into the JS types node-postgres returns', async () => {
    answer(
      [
        ['id', 'serial'],
        ['n', 'int4'],
        ['n_text', 'int4'],
        ['small', 'int2'],
        ['big', 'int8'],
        ['big_long', 'int8'],
        ['sum', 'numeric'],
        ['rank', 'float4'],
        ['ok', 'bool'],
        ['name', 'text'],
        ['v', 'varchar'],
        ['uid', 'uuid'],
        ['created_at', 'timestamptz'],
        ['with_offset', 'timestamptz'],
        ['naive', 'timestamp'],
        ['day', 'date'],
        ['manifest', 'jsonb'],
        ['j', 'json'],
        ['tags', '_text'],
        ['ids', '_int4'],
        ['ids_text', '_int4'],
        ['grid', '_int4'],
        ['literal', '_text'],
        ['bytes', 'bytea'],
        ['missing', 'text'],
      ],
      [
        [
          { longValue: 7 },
          { longValue: 42 },
          { stringValue: '43' },
          { longValue: 2 },
          { stringValue: '9007199254740993' },
          { longValue: 12 },
          { stringValue: '12.50' },
          { doubleValue: 0.25 },
          { booleanValue: true },
          { stringValue: 'ann' },
          { stringValue: 'v' },
          { stringValue: '0b7c7a4e-1111-4222-8333-444455556666' },
          { stringValue: '2024-05-01 12:34:56.789' },
          { stringValue: '2024-05-01 14:34:56.789+02' },
          { stringValue: '2024-05-01 12:34:56' },
          { stringValue: '2024-05-01' },
          { stringValue: '{"name":"x","tags":["a"]}' },
          { stringValue: '[1,2]' },
          { arrayValue: { stringValues: ['a', 'b c'] } },
          { arrayValue: { longValues: [1, 2] } },
          { arrayValue: { stringValues: ['3', '4'] } },
          { arrayValue: { arrayValues: [{ longValues: [1, 2] }, { longValues: [3, 4] }] as ArrayValue[] } },
          { stringValue: '{a,"b,c",NULL,"d\\"e"}' },
          { blobValue: new Uint8Array([1, 2]) },
          { isNull: true },
        ],
      ],
    );
    const { rows, rowCount } = await newDb().query('SELECT ...');
    expect(rowCount).toBe(1);
    expect(rows[0]).toEqual({
      id: 7,
      n: 42,
      n_text: 43,
      small: 2,
      big: '9007199254740993',
      big_long: '12',
      sum: '12.50',
      rank: 0.25,
      ok: true,
      name: 'ann',
      v: 'v',
      uid: '0b7c7a4e-1111-4222-8333-444455556666',
      created_at: new Date('2024-05-01T12:34:56.789Z'),
      with_offset: new Date('2024-05-01T12:34:56.789Z'),
      naive: new Date('2024-05-01T12:34:56.000Z'),
      day: new Date(2024, 4, 1),
      manifest: { name: 'x', tags: ['a'] },
      j: [1, 2],
      tags: ['a', 'b c'],
      ids: [1, 2],
      ids_text: [3, 4],
      grid: [
        [1, 2],
        [3, 4],
      ],
      literal: ['a', 'b,c', null, 'd"e'],
      bytes: Buffer.from([1, 2]),
      missing: null,
    });
    expect(rows[0]!.created_at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(rows[0]!.bytes)).toBe(true);
  });

  it('names columns by label (the alias) and keeps row order', async () => {
    rds.on(ExecuteStatementCommand).resolves({
      columnMetadata: [{ name: 'count', label: 'n', typeName: 'int4' }],
      records: [[{ longValue: 3 }], [{ longValue: 1 }]],
    });
    expect((await newDb().query('SELECT count(*)::int AS n ...')).rows).toEqual([{ n: 3 }, { n: 1 }]);
  });

  it('counts affected rows for DML and returned rows for RETURNING and SELECT', async () => {
    rds.on(ExecuteStatementCommand).resolves({ numberOfRecordsUpdated: 3, records: [] });
    expect(await newDb().query('UPDATE t SET x = 1')).toEqual({ rows: [], rowCount: 3 });
    rds.on(ExecuteStatementCommand).resolves({ numberOfRecordsUpdated: 0, columnMetadata: [{ name: 'id', label: 'id', typeName: 'int4' }], records: [[{ longValue: 9 }]] });
    expect(await newDb().query('INSERT INTO t DEFAULT VALUES RETURNING id')).toEqual({ rows: [{ id: 9 }], rowCount: 1 });
    rds.on(ExecuteStatementCommand).resolves({});
    expect(await newDb().query('SELECT 1 WHERE false')).toEqual({ rows: [], rowCount: 0 });
  });

  it('parses the timestamp forms the Data API writes', () => {
    expect(parseTimestamp('2024-05-01 12:34:56')).toEqual(new Date('2024-05-01T12:34:56Z'));
    expect(parseTimestamp('2024-05-01 12:34:56.123456')).toEqual(new Date('2024-05-01T12:34:56.123Z'));
    expect(parseTimestamp('2024-05-01 12:34:56.1')).toEqual(new Date('2024-05-01T12:34:56.100Z'));
    expect(parseTimestamp('2024-05-01T12:34:56Z')).toEqual(new Date('2024-05-01T12:34:56Z'));
    expect(parseTimestamp('2024-05-01 08:04:56-04:30')).toEqual(new Date('2024-05-01T12:34:56Z'));
  });
});

describe('transactions', () => {
  beforeEach(() => {
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-1' });
    rds.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed' });
    rds.on(RollbackTransactionCommand).resolves({ transactionStatus: 'Rollback Complete' });
  });

  it('commits: BeginTransaction, every statement with its transactionId, CommitTransaction', async () => {
    rds.on(ExecuteStatementCommand).resolves({ columnMetadata: [{ name: 'id', label: 'id', typeName: 'int4' }], records: [[{ longValue: 5 }]] });
    const result = await newDb().transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number }>('SELECT id FROM t WHERE name = $1 FOR UPDATE', ['a']);
      await tx.query('UPDATE t SET n = n + 1 WHERE id = $1', [rows[0]!.id]);
      return rows[0]!.id;
    });
    expect(result).toBe(5);
    expect(rds.commandCalls(BeginTransactionCommand).map((c) => c.args[0].input)).toEqual([TARGET]);
    expect(executed().map((i) => [i.sql, i.transactionId])).toEqual([
      ['SELECT id FROM t WHERE name = :p1 FOR UPDATE', 'tx-1'],
      ['UPDATE t SET n = n + 1 WHERE id = :p1', 'tx-1'],
    ]);
    expect(rds.commandCalls(CommitTransactionCommand).map((c) => c.args[0].input)).toEqual([
      { resourceArn: TARGET.resourceArn, secretArn: TARGET.secretArn, transactionId: 'tx-1' },
    ]);
    expect(rds.commandCalls(RollbackTransactionCommand)).toHaveLength(0);
  });

  it('rolls back when the callback throws, and rethrows its error unchanged', async () => {
    const refusal = new ApiError(409, 'taken');
    const err = await rejection(
      newDb().transaction(async (tx) => {
        await tx.query('INSERT INTO t (x) VALUES ($1)', [1]);
        throw refusal;
      }),
    );
    expect(err).toBe(refusal);
    expect(executed()[0]!.transactionId).toBe('tx-1');
    expect(rds.commandCalls(CommitTransactionCommand)).toHaveLength(0);
    expect(rds.commandCalls(RollbackTransactionCommand).map((c) => c.args[0].input)).toEqual([
      { resourceArn: TARGET.resourceArn, secretArn: TARGET.secretArn, transactionId: 'tx-1' },
    ]);
  });

  it('rolls back when a statement fails, surfacing the mapped error', async () => {
    rds.on(ExecuteStatementCommand).rejects(badRequest('ERROR: deadlock detected\n  Detail: Process 1 waits for ShareLock; SQLState: 40P01'));
    const err = await rejection(newDb().transaction((tx) => tx.query('UPDATE t SET x = 1')));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(isSafeToRepeat(err)).toBe(true);
    expect(rds.commandCalls(RollbackTransactionCommand)).toHaveLength(1);
    expect(rds.commandCalls(CommitTransactionCommand)).toHaveLength(0);
  });

  it('rolls back when the commit fails, and a failing rollback does not hide the first error', async () => {
    rds.on(CommitTransactionCommand).rejects(badRequest('ERROR: could not serialize access due to read/write dependencies; SQLState: 40001'));
    rds.on(RollbackTransactionCommand).rejects(new TransactionNotFoundException({ message: 'Transaction tx-1 is not found', $metadata: {} }));
    const err = await rejection(newDb().transaction(async () => 1));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(sqlState((err as StoreUnavailableError).cause)).toBe('40001');
    expect(rds.commandCalls(RollbackTransactionCommand)).toHaveLength(1);
  });

  it('runs a transaction\'s statements one at a time and refuses them once it has ended', async () => {
    const log: string[] = [];
    rds.on(ExecuteStatementCommand).callsFake(async (input: ExecuteStatementCommandInput) => {
      log.push(`start ${input.sql}`);
      await new Promise((r) => setTimeout(r, input.sql === 'SELECT 1' ? 30 : 1));
      log.push(`end ${input.sql}`);
      return { records: [] };
    });
    let leaked: { query(text: string): Promise<unknown> } | undefined;
    await newDb().transaction(async (tx) => {
      leaked = tx;
      await Promise.all([tx.query('SELECT 1'), tx.query('SELECT 2')]);
    });
    expect(log).toEqual(['start SELECT 1', 'end SELECT 1', 'start SELECT 2', 'end SELECT 2']);
    await expect(leaked!.query('SELECT 3')).rejects.toThrow(/already ended/);
  });

  it('fails without a transaction when BeginTransaction fails', async () => {
    rds.on(BeginTransactionCommand).rejects(new DatabaseUnavailableException({ message: 'The writer is not available', $metadata: { httpStatusCode: 504 } }));
    let called = false;
    const err = await rejection(
      newDb().transaction(async () => {
        called = true;
      }),
    );
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(called).toBe(false);
    expect(rds.commandCalls(RollbackTransactionCommand)).toHaveLength(0);
  });
});

describe('exec (migration scripts)', () => {
  const script = `
    CREATE TABLE a (x text DEFAULT 'a;b', y text DEFAULT $$;$$); -- trailing; comment
    CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
      RAISE EXCEPTION 'no; never';
    END
    $body$;
    /* a comment; alone */ ;
    INSERT INTO a (x) VALUES (E'it\\'s; fine');
  `;

  it('splits at top-level semicolons only', () => {
    expect(splitStatements(script)).toEqual([
      `CREATE TABLE a (x text DEFAULT 'a;b', y text DEFAULT $$;$$)`,
      `-- trailing; comment\n    CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$\n    BEGIN\n      RAISE EXCEPTION 'no; never';\n    END\n    $body$`,
      `INSERT INTO a (x) VALUES (E'it\\'s; fine')`,
    ]);
    expect(splitStatements(' ; -- nothing\n')).toEqual([]);
  });

  it('runs a multi-statement script one statement per call inside one transaction', async () => {
    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-m' });
    rds.on(CommitTransactionCommand).resolves({});
    await newDb().exec(script);
    expect(executed().map((i) => i.transactionId)).toEqual(['tx-m', 'tx-m', 'tx-m']);
    expect(executed().map((i) => i.parameters)).toEqual([undefined, undefined, undefined]);
    expect(executed()[1]!.sql).toContain("RAISE EXCEPTION 'no; never';");
    expect(rds.commandCalls(CommitTransactionCommand)).toHaveLength(1);
  });

  it('runs a single statement as one call, and inside a transaction with its id', async () => {
    await newDb().exec('CREATE SCHEMA IF NOT EXISTS registry;');
    expect(executed().map((i) => [i.sql, i.transactionId])).toEqual([['CREATE SCHEMA IF NOT EXISTS registry', undefined]]);
    expect(rds.commandCalls(BeginTransactionCommand)).toHaveLength(0);

    rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-e' });
    rds.on(CommitTransactionCommand).resolves({});
    await newDb().transaction((tx) => tx.exec('CREATE TABLE b (x int); CREATE INDEX ON b (x)'));
    expect(executed().slice(1).map((i) => [i.sql, i.transactionId])).toEqual([
      ['CREATE TABLE b (x int)', 'tx-e'],
      ['CREATE INDEX ON b (x)', 'tx-e'],
    ]);
  });

  it('refuses transaction control statements (use transaction())', async () => {
    await expect(newDb().exec('BEGIN; SELECT 1; COMMIT')).rejects.toThrow(/transaction\(\)/);
    expect(executed()).toHaveLength(0);
  });
});

describe('errors', () => {
  it('maps a unique violation to code 23505 and the constraint named in the message', async () => {
    rds
      .on(ExecuteStatementCommand)
      .rejects(badRequest('ERROR: duplicate key value violates unique constraint "users_email_key"\n  Detail: Key (lower(email))=(ann@example.com) already exists.; SQLState: 23505'));
    const err = await rejection(newDb().query('INSERT INTO registry.users (email) VALUES ($1)', ['ann@example.com']));
    expect(err).toBeInstanceOf(DataApiError);
    expect(sqlState(err)).toBe('23505');
    expect(constraintName(err)).toBe('users_email_key');
    expect((err as DataApiError).detail).toBe('Key (lower(email))=(ann@example.com) already exists.');
    expect((err as DataApiError).awsName).toBe('BadRequestException');
    expect((err as Error).cause).toBeInstanceOf(BadRequestException);
  });

  it('lets a repository branch on it: PgUserRepo answers 409 for a taken email', async () => {
    rds.on(ExecuteStatementCommand).rejects(badRequest('ERROR: duplicate key value violates unique constraint "users_email_key"\n  Detail: Key exists.; SQLState: 23505'));
    const err = await rejection(new PgUserRepo(newDb()).create({ username: 'zed', email: 'ann@example.com', passwordHash: 'h', role: 'user' }));
    expect(err).toMatchObject({ status: 409, message: 'Email address is already registered' });
  });

  const unavailable: Array<[string, unknown]> = [
    ['a resuming cluster', new DatabaseResumingException({ message: 'Database is resuming', $metadata: { httpStatusCode: 400 } })],
    ['an unavailable writer', new DatabaseUnavailableException({ message: 'unavailable', $metadata: { httpStatusCode: 504 } })],
    ['a statement timeout', new StatementTimeoutException({ message: 'Request timed out', $metadata: { httpStatusCode: 400 } })],
    ['the service unavailable', new ServiceUnavailableError({ message: 'unavailable', $metadata: { httpStatusCode: 503 } })],
    ['an internal error', new InternalServerErrorException({ message: 'internal', $metadata: { httpStatusCode: 500 } })],
    ['throttling', new RDSDataServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 429 }, message: 'Rate exceeded' })],
    ['a lost transaction', new TransactionNotFoundException({ message: 'Transaction x is not found', $metadata: { httpStatusCode: 400 } })],
    ['a serialization failure', badRequest('ERROR: could not serialize access due to concurrent update; SQLState: 40001')],
    ['a deadlock', badRequest('ERROR: deadlock detected; SQLState: 40P01')],
    ['an admin shutdown', badRequest('ERROR: terminating connection due to administrator command; SQLState: 57P01')],
    ['a connection failure', badRequest('ERROR: connection failure; SQLState: 08006')],
    ['too many connections', badRequest('FATAL: sorry, too many clients already; SQLState: 53300')],
    ['a JDBC link failure', badRequest('Communications link failure\n\nThe last packet sent successfully to the server was 0 milliseconds ago.')],
    ['a network reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a request timeout', Object.assign(new Error('Connection timed out after 6000 ms'), { name: 'TimeoutError' })],
    ['any 5xx', new RDSDataServiceException({ name: 'SomethingNew', $fault: 'server', $metadata: { httpStatusCode: 502 }, message: 'bad gateway' })],
  ];
  it.each(unavailable)('maps %s to StoreUnavailableError(postgres)', async (_name, failure) => {
    rds.on(ExecuteStatementCommand).rejects(failure as Error);
    const err = await rejection(newDb().query('SELECT 1'));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).store).toBe('postgres');
    expect((err as Error).cause).toBeInstanceOf(DataApiError);
  });

  it('marks as safe to repeat only what certainly had no effect', () => {
    const safe = (e: unknown) => isSafeToRepeat(toDataApiError(e));
    expect(safe(new DatabaseResumingException({ message: 'resuming', $metadata: {} }))).toBe(true);
    expect(safe(badRequest('ERROR: deadlock detected; SQLState: 40P01'))).toBe(true);
    expect(safe(badRequest('ERROR: could not serialize access; SQLState: 40001'))).toBe(true);
    expect(safe(new StatementTimeoutException({ message: 'timed out', $metadata: {} }))).toBe(false);
    expect(safe(Object.assign(new Error('timeout'), { name: 'TimeoutError' }))).toBe(false);
  });

  it('rethrows statement errors and configuration errors as they are (not unavailable)', async () => {
    for (const failure of [
      badRequest('ERROR: syntax error at or near "SELEC"\n  Position: 1; SQLState: 42601'),
      badRequest('ERROR: column "id" is of type uuid but expression is of type character varying\n  Hint: cast it; SQLState: 42804'),
      badRequest('ERROR: insert or update on table "package_owners" violates foreign key constraint "package_owners_user_id_fkey"; SQLState: 23503'),
      new ForbiddenException({ message: 'HttpEndpoint is not enabled', $metadata: { httpStatusCode: 403 } }),
    ]) {
      rds.on(ExecuteStatementCommand).rejects(failure);
      const err = await rejection(newDb().query('SELECT 1'));
      expect(err).toBeInstanceOf(DataApiError);
      expect(err).not.toBeInstanceOf(StoreUnavailableError);
    }
    expect(constraintName(toDataApiError(badRequest('... violates foreign key constraint "package_owners_user_id_fkey"; SQLState: 23503')))).toBe(
      'package_owners_user_id_fkey',
    );
    expect(sqlState(toDataApiError(new ForbiddenException({ message: 'no', $metadata: {} })))).toBeUndefined();
  });
});

describe('client', () => {
  it('has bounded timeouts and two attempts, the second only for requests that never ran', async () => {
    const c = createDataApiClient({ region: 'eu-west-1', requestTimeoutMs: 4000, connectTimeoutMs: 500 });
    expect(await c.config.maxAttempts()).toBe(2);
    const handlerConfig = await (c.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> }).configProvider;
    expect(handlerConfig).toMatchObject({ requestTimeout: 4000, connectionTimeout: 500 });
    const strategy = (await c.config.retryStrategy()) as unknown as {
      acquireInitialRetryToken(scope: string): Promise<{ getRetryCount(): number }>;
      refreshRetryTokenForRetry(token: unknown, info: { error: unknown }): Promise<{ getRetryCount(): number; getRetryDelay(): number }>;
    };
    const first = await strategy.acquireInitialRetryToken('');
    const throttled = new RDSDataServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 429 }, message: 'slow down' });
    const second = await strategy.refreshRetryTokenForRetry(first, { error: throttled });
    expect(second.getRetryCount()).toBe(1);
    expect(second.getRetryDelay()).toBeGreaterThan(0);
    await expect(strategy.refreshRetryTokenForRetry(second, { error: throttled })).rejects.toBe(throttled);
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    await expect(strategy.refreshRetryTokenForRetry(first, { error: timeout })).rejects.toBe(timeout);
    c.destroy();
  });

  it('knows which failures certainly did not run', () => {
    expect(certainlyNotExecuted(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(certainlyNotExecuted(new RDSDataServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 429 }, message: '' }))).toBe(true);
    expect(certainlyNotExecuted(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false);
    expect(certainlyNotExecuted(new InternalServerErrorException({ message: '', $metadata: { httpStatusCode: 500 } }))).toBe(false);
  });

  it('pings with SELECT 1 and destroys only a client it made', async () => {
    await newDb().ping();
    expect(lastExecuted().sql).toBe('SELECT 1');
    let destroyed = false;
    const own = new DataApiDatabase({ ...TARGET, region: 'us-east-1' });
    (own as unknown as { client: { destroy(): void } }).client.destroy = () => {
      destroyed = true;
    };
    await own.close();
    expect(destroyed).toBe(true);
    const given = newDb();
    const destroy = client.destroy;
    client.destroy = () => expect.unreachable('not ours to destroy');
    await given.close();
    client.destroy = destroy;
  });
});
// -------------------------------------------------------------------------------------------------
// The fake Data API (test/support/fakeDataApi.ts), which the repository suites also run on: it must
// type parameters as the Data API does, so that a statement missing a cast fails there as on Aurora.

describe('the fake Data API types values as the Data API does', () => {
  let pg: PGlite;
  let fake: FakeDataApi;
  let db: DataApiDatabase;
  const TOKEN = '0b7c7a4e-1111-4222-8333-444455556666';

  beforeAll(async () => {
    pg = await createPglite();
    fake = FakeDataApi.overPglite(pg);
    db = new DataApiDatabase({ ...TARGET, client: fake.client });
    await db.exec(`CREATE TABLE t (id uuid, n integer, big bigint, doc jsonb, tags text[], at timestamptz, name text);
                   INSERT INTO t VALUES ('${TOKEN}', 1, 2, '{"a":1}', '{x,y}', '2030-01-02T03:04:05.678Z', 'ann')`);
  });
  afterAll(async () => {
    await fake?.close();
    await pg?.close();
  });

  const failure = async (sql: string, params: unknown[]) => {
    const err = await rejection(db.query(sql, params));
    expect(err).toBeInstanceOf(DataApiError);
    return { code: sqlState(err), message: (err as Error).message.split('\n')[0] };
  };

  it('sends a string as varchar: no operator for uuid = varchar, no assignment to jsonb, text[] or timestamptz', async () => {
    expect(await failure('SELECT 1 FROM t WHERE id = $1', [TOKEN])).toEqual({
      code: '42883',
      message: 'ERROR: operator does not exist: uuid = character varying; SQLState: 42883',
    });
    expect(await failure('INSERT INTO t (doc) VALUES ($1)', [{ a: 2 }])).toMatchObject({ code: '42804', message: expect.stringContaining('is of type jsonb but expression is of type character varying') });
    expect(await failure('INSERT INTO t (tags) VALUES ($1)', [['a']])).toMatchObject({ code: '42804', message: expect.stringContaining('text[] but expression is of type character varying') });
    expect(await failure('SELECT 1 FROM t WHERE tags @> $1', [['x']])).toMatchObject({ code: '42883' });
    expect(await failure('SELECT 1 FROM t WHERE at < $1', [new Date()])).toMatchObject({ code: '42883' });
    expect(await failure('SELECT 1 FROM t WHERE big = $1', ['2'])).toMatchObject({ code: '42883' });
  });

  it('takes what the casts say, and a bigint wherever an integer goes', async () => {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM t
        WHERE id = $1::uuid AND n = $2 AND big = $3::bigint AND doc = $4::jsonb AND tags @> $5::text[] AND at < $6::timestamptz AND name = $7`,
      [TOKEN, 1, '2', { a: 1 }, ['x'], new Date('2031-01-01T00:00:00Z'), 'ann'],
    );
    expect(rows).toEqual([{ n: 1 }]);
    await db.query('UPDATE t SET n = $1, big = $2 WHERE name = $3', [7, 8, 'ann']);
    expect((await db.query('SELECT n, big FROM t')).rows).toEqual([{ n: 7, big: '8' }]);
  });

  it('binds an untyped NULL, which takes the type of its context', async () => {
    await db.query('INSERT INTO t (id, doc, tags, at) VALUES ($1, $2, $3, $4)', [null, null, null, null]);
    expect((await db.query('SELECT count(*)::int AS n FROM t WHERE id IS NULL AND doc IS NULL AND tags IS NULL')).rows).toEqual([{ n: 1 }]);
    expect(await failure('SELECT $1 IS NULL AS x', [null])).toMatchObject({ code: '42P18' });
  });

  it('types a string by its typeHint, in the formats the Data API accepts', async () => {
    const out = await fake.client.send(
      new ExecuteStatementCommand({
        ...TARGET,
        sql: 'SELECT count(*)::int AS n FROM t WHERE id = :id AND at < :at AND doc = CAST(:doc AS jsonb)',
        parameters: [
          { name: 'id', value: { stringValue: TOKEN }, typeHint: 'UUID' },
          { name: 'at', value: { stringValue: '2031-01-01 00:00:00' }, typeHint: 'TIMESTAMP' },
          { name: 'doc', value: { stringValue: '{"a":1}' }, typeHint: 'JSON' },
        ],
        includeResultMetadata: true,
      }),
    );
    expect(out.records).toEqual([[{ longValue: 1 }]]);
    expect(out.columnMetadata).toMatchObject([{ label: 'n', typeName: 'int4' }]);
    await expect(
      fake.client.send(new ExecuteStatementCommand({ ...TARGET, sql: 'SELECT :at', parameters: [{ name: 'at', value: { stringValue: '2031-01-01T00:00:00Z' }, typeHint: 'TIMESTAMP' }] })),
    ).rejects.toBeInstanceOf(BadRequestException);
  });

  it('refuses array parameters, positional placeholders and unknown transactions', async () => {
    const send = (input: Partial<ExecuteStatementCommandInput>) => fake.client.send(new ExecuteStatementCommand({ ...TARGET, sql: 'SELECT 1', ...input }));
    await expect(send({ sql: 'SELECT :a', parameters: [{ name: 'a', value: { arrayValue: { stringValues: ['x'] } } }] })).rejects.toThrow('Array parameters are not supported.');
    await expect(send({ sql: 'SELECT $1' })).rejects.toBeInstanceOf(BadRequestException);
    await expect(send({ sql: 'SELECT :missing' })).rejects.toBeInstanceOf(BadRequestException);
    await expect(send({ transactionId: 'nope' })).rejects.toBeInstanceOf(TransactionNotFoundException);
    await expect(fake.client.send(new CommitTransactionCommand({ ...TARGET, transactionId: 'nope' }))).rejects.toBeInstanceOf(TransactionNotFoundException);
  });

  it('answers typed records: int8 as text when asked, timestamps as zone-less UTC text, arrays as arrayValue', async () => {
    const out = await fake.client.send(
      new ExecuteStatementCommand({
        ...TARGET,
        sql: "SELECT 5::int8 AS big, '2030-01-02T03:04:05.678Z'::timestamptz AS at, ARRAY['a', 'b'] AS tags, ARRAY[1, 2] AS ids, true AS ok",
        includeResultMetadata: true,
        resultSetOptions: { longReturnType: 'STRING' },
      }),
    );
    expect(out.records).toEqual([
      [{ stringValue: '5' }, { stringValue: '2030-01-02 03:04:05.678' }, { arrayValue: { stringValues: ['a', 'b'] } }, { arrayValue: { longValues: [1, 2] } }, { booleanValue: true }],
    ]);
    expect(out.columnMetadata!.map((c) => c.typeName)).toEqual(['int8', 'timestamptz', '_text', '_int4', 'bool']);
  });
});

// -------------------------------------------------------------------------------------------------
// The repositories, unchanged, on this driver, against the fake Data API over PGlite.

describe('the repositories on the Data API driver (fake Data API over PGlite)', () => {
  let pg: PGlite;
  let fake: FakeDataApi;
  let db: DataApiDatabase;
  let baseline: PgliteDatabase;

  beforeAll(async () => {
    pg = await createPglite();
    fake = FakeDataApi.overPglite(pg);
    db = new DataApiDatabase({ ...TARGET, client: fake.client });
    baseline = await PgliteDatabase.open();
  });
  afterAll(async () => {
    await fake?.close();
    await pg?.close();
    await baseline?.close();
  });

  const sha = (n: number) => n.toString(16).padStart(64, '0');
  const TOKEN_ID = '0b7c7a4e-1111-4222-8333-444455556666';
  const BEN_TOKEN_ID = '0b7c7a4e-1111-4222-8333-777788889999';
  const outcome = (p: Promise<unknown>) => p.then((v) => v, (e: unknown) => (e instanceof ApiError ? { status: e.status, message: e.message } : Promise.reject(e)));

  /** Every repository call the API makes, on one database; returns what each answered. */
  async function scenario(on: Database): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    out.migrated = await migrate(on);
    const users = new PgUserRepo(on);
    const ann = await users.create({ username: 'ann', email: 'ann@example.com', passwordHash: 'h1', role: 'publisher' });
    const ben = await users.create({ username: 'ben', email: 'ben@example.com', passwordHash: 'h2', role: 'user' });
    out.ann = ann;
    out.nameTaken = await outcome(users.create({ username: 'ANN', email: 'other@example.com', passwordHash: 'h', role: 'user' }));
    out.emailTaken = await outcome(users.create({ username: 'zed', email: 'ANN@example.com', passwordHash: 'h', role: 'user' }));
    out.rootCreated = [await users.ensureRoot('root-hash'), await users.ensureRoot('other')];
    out.page = await users.list(2, 0);
    out.pastEnd = await users.list(2, 10);
    out.promoted = await users.setRole('BEN', 'publisher');
    out.rootRole = await users.setRole('root', 'user');
    const annSelf = { actor: { userId: ann.id, username: 'ann', role: 'publisher' as const, tokenHash: 'x' }, sourceIp: '10.0.0.1' };
    out.password = await users.updatePassword(ann.id, 'h3', { revokeBefore: 1_700_000_000_123, keepSession: 'b'.repeat(64), audit: annSelf });
    out.byName = await users.findByUsername('Ann');
    out.byId = await users.findById(ben.id);
    out.missing = await users.findById(999);

    const annP: Principal = { userId: ann.id, username: 'ann', role: 'publisher', tokenHash: 'x' };
    const ctx = { actor: annP, sourceIp: '10.0.0.1' };
    const registries = new PgRegistryRepo(on);
    const withinCap = (facts: RegistryCreationFacts) => decideRegistryCreation(3, facts);
    const acme = await registries.create({ name: 'acme', description: 'Acme "rules"', visibility: 'private' }, ctx, withinCap);
    out.acme = acme;
    out.registryTaken = await outcome(registries.create({ name: 'acme', description: '', visibility: 'public' }, ctx, withinCap));
    const readToken = (facts: TokenCreationFacts | null) => decideTokenCreation(['read'], facts);
    // Publisher: ben becomes an owner below, which needs a role that may publish in the registry.
    out.members = await registries.setMember(acme.id, 'ben', 'publisher', ctx);
    out.token = await registries.createToken(
      acme.id,
      { id: TOKEN_ID, name: 'ci', scopes: ['read', 'publish'], tokenHash: 'a'.repeat(64), expiresAt: new Date('2030-01-02T03:04:05.678Z') },
      ctx,
      (facts) => decideTokenCreation(['read', 'publish'], facts),
    );
    out.activeToken = await registries.findActiveToken(acme.id, TOKEN_ID);
    out.updated = await registries.update(acme.id, acme.configVersion, { description: 'New' }, ctx);
    out.stale = await outcome(registries.update(acme.id, acme.configVersion, { visibility: 'public' }, ctx));
    out.visible = await registries.listVisible(viewerOf(annP));
    out.hiddenFromAnonymous = await registries.access('acme', ANONYMOUS);

    const packages = new PgPackageRepo(on);
    const publish = (version: string, n: number) => {
      const raw = { name: '@acme/rules', version, description: `Rules for "quotes" and \\ backslashes ${version}`, tags: ['lint', 'style-guide'], targets: ['cursor'] };
      const authorize = (facts: PublishFacts) => decidePublish(annP, raw.name, facts);
      // Text an array literal must escape: quotes, braces, commas, backslashes, a line break, NULL as a word.
      const files = [{ path: 'rules {1}.md', size: 40, text: `Rules, "quoted" {braced} \\ and\nNULL ${version}` }];
      return packages.publish({ manifest: manifestSchema.parse(raw), rawManifest: raw, sha256: sha(n), sizeBytes: 100 + n, files, publisher: annP, sourceIp: '10.0.0.1', authorize });
    };
    out.published = await publish('1.0.0', 1);
    out.republished = await publish('1.0.0', 1);
    out.conflict = await outcome(publish('1.0.0', 2));
    out.samePrecedence = await outcome(publish('1.0.0+build', 4));
    out.second = await publish('1.1.0', 3);
    out.package = await packages.getPackage('@acme/rules', viewerOf(annP));
    out.packageHidden = await packages.getPackage('@acme/rules', ANONYMOUS);
    out.search = await packages.search({ q: 'rules', limit: 10, offset: 0 }, viewerOf(annP));
    out.searchTag = await packages.search({ q: '', tag: 'style-guide', limit: 10, offset: 0 }, viewerOf(annP));
    out.nearMiss = await packages.search({ q: '@acme/rulez', limit: 10, offset: 0 }, viewerOf(annP));
    out.contentSearch = await packages.search({ q: 'braced', limit: 10, offset: 0 }, viewerOf(annP));
    out.owners = await packages.addOwner('@acme/rules', 'ben', ctx, (facts) => decideOwnerAddition(annP, '@acme/rules', 'ben', facts));
    out.removedOwner = await packages.removeOwner('@acme/rules', 'ben', ctx, (facts) => decideOwnerChange(annP, '@acme/rules', facts));
    out.archive = await packages.findArchive(sha(1), viewerOf(annP));

    await applySideEffects(on, [
      { kind: 'last-login', userId: ann.id, at: Date.parse('2025-01-02T03:04:05.678Z') },
      { kind: 'download', sha256: sha(1) },
      { kind: 'download', sha256: sha(1) },
      { kind: 'download', sha256: sha(3) },
      { kind: 'token-used', tokenId: TOKEN_ID, at: Date.parse('2025-02-03T04:05:06.789Z') },
    ]);
    out.lastLogin = (await users.findById(ann.id))?.lastLogin;
    out.downloads = (await packages.getPackage('@acme/rules', viewerOf(annP)))?.downloads;
    out.tokenUsed = (await registries.listTokens(acme.id, ann.id))[0]?.lastUsedAt;
    await registries.markTokenRevoked(acme.id, TOKEN_ID, ctx);
    out.revoked = await registries.findActiveToken(acme.id, TOKEN_ID);
    // A member's removal revokes their tokens; the outbox holds what DynamoDB must still learn.
    const benCtx = { actor: { userId: ben.id, username: 'ben', role: 'publisher' as const, tokenHash: 'y' }, sourceIp: '10.0.0.2' };
    await registries.createToken(acme.id, { id: BEN_TOKEN_ID, name: 'ben ci', scopes: ['read'], tokenHash: 'c'.repeat(64), expiresAt: new Date('2030-01-02T03:04:05.678Z') }, benCtx, readToken);
    out.removed = await registries.removeMember(acme.id, 'ben', ctx);
    out.refused = await outcome(registries.createToken(acme.id, { id: randomUUID(), name: 'late', scopes: ['read'], tokenHash: 'd'.repeat(64), expiresAt: new Date('2030-01-02T03:04:05.678Z') }, benCtx, readToken));
    const outbox = new PgRevocationOutbox(on);
    out.outbox = await outbox.pending(10);
    out.outboxOfBen = await outbox.pending(10, ben.id);
    for (const r of out.outbox as Array<{ id: string }>) await outbox.complete(r.id);
    out.outboxAfter = await outbox.pending(10);
    out.audit = await registries.listAudit(acme.id, 50, 0);
    return out;
  }

  // Timestamps set by now() differ between two runs; everything else must be identical.
  const normalise = (v: unknown): unknown =>
    v instanceof Date ? (v.getUTCFullYear() >= 2030 || v.getUTCFullYear() === 2025 ? v.toISOString() : 'now') : Array.isArray(v) ? v.map(normalise) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)])) : v;

  it('runs migrations and every repository exactly as on a direct PostgreSQL connection', async () => {
    const viaDataApi = await scenario(db);
    const direct = await scenario(baseline);
    expect(normalise(viaDataApi)).toEqual(normalise(direct));

    // And the values are what they should be, with node-postgres' types.
    expect(viaDataApi.migrated).toEqual(migrations.map((m) => m.id));
    expect(viaDataApi.nameTaken).toEqual({ status: 409, message: 'Username is already taken' });
    expect(viaDataApi.emailTaken).toEqual({ status: 409, message: 'Email address is already registered' });
    expect(viaDataApi.registryTaken).toEqual({ status: 409, message: 'Registry name "acme" is taken' });
    expect(viaDataApi.samePrecedence).toEqual({
      status: 409,
      message: expect.stringMatching(/^@acme\/rules@1\.0\.0\+build is equal in precedence to the published version 1\.0\.0: /),
    });
    expect(viaDataApi.stale).toMatchObject({ status: 412 });
    const snippet = 'Rules, "quoted" {braced} \\ and NULL 1.1.0';
    expect(viaDataApi.contentSearch).toMatchObject([
      { name: '@acme/rules', matches: [{ path: 'rules {1}.md', snippet, highlights: [[snippet.indexOf('braced'), snippet.indexOf('braced') + 6]] }] },
    ]);
    expect(viaDataApi.rootCreated).toEqual([true, false]);
    expect(viaDataApi.page).toMatchObject({ total: 3, users: [{ username: 'ann' }, { username: 'ben' }] });
    expect(viaDataApi.pastEnd).toEqual({ users: [], total: 3 });
    expect((viaDataApi.ann as { createdAt: unknown }).createdAt).toBeInstanceOf(Date);
    expect(viaDataApi.token).toEqual({
      id: TOKEN_ID,
      name: 'ci',
      scopes: ['read', 'publish'],
      createdBy: 'ann',
      createdAt: expect.any(Date),
      expiresAt: new Date('2030-01-02T03:04:05.678Z'),
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(viaDataApi.activeToken).toEqual({ tokenHash: 'a'.repeat(64), userId: 1 });
    expect(viaDataApi.revoked).toBeNull();
    expect(viaDataApi.package).toMatchObject({
      name: '@acme/rules',
      latest: '1.1.0',
      versions: ['1.1.0', '1.0.0'],
      tags: ['lint', 'style-guide'],
      owners: ['ann'],
      registry: 'acme',
      visibility: 'private',
    });
    expect(viaDataApi.packageHidden).toBeNull();
    expect(viaDataApi.search).toMatchObject([{ name: '@acme/rules', version: '1.1.0', versions: ['1.1.0', '1.0.0'] }]);
    expect(viaDataApi.searchTag).toMatchObject([{ name: '@acme/rules' }]);
    expect(viaDataApi.nearMiss).toMatchObject([{ name: '@acme/rules' }]);
    expect(viaDataApi.owners).toEqual(['ann', 'ben']);
    expect(viaDataApi.downloads).toBe(3);
    expect(viaDataApi.lastLogin).toEqual(new Date('2025-01-02T03:04:05.678Z'));
    expect(viaDataApi.tokenUsed).toEqual(new Date('2025-02-03T04:05:06.789Z'));
    const audit = viaDataApi.audit as Array<{ id: number; action: string; details: unknown; tokenId: string | null }>;
    expect(audit.map((a) => a.action)).toEqual([
      'token.revoke',
      'member.remove',
      'token.create',
      'token.revoke',
      'package.owner.remove',
      'package.owner.add',
      'package.publish',
      'package.publish',
      'registry.update',
      'token.create',
      'member.set',
      'registry.create',
    ]);
    expect(typeof audit[0]!.id).toBe('number');
    expect(audit[0]!.details).toEqual({ token_id: BEN_TOKEN_ID, reason: 'member.remove' });
    expect(viaDataApi.removed).toMatchObject({ members: [{ username: 'ann', role: 'admin' }], revokedTokensOf: 2 });
    expect(viaDataApi.refused).toEqual({ status: 403, message: 'Only members of this registry can create tokens for it' });
    expect(viaDataApi.outbox).toEqual([
      { id: '1', userId: 1, revokeBefore: 1_700_000_000_123, state: { userId: 1, authVersion: 2, role: 'publisher', active: true }, keepSession: 'b'.repeat(64), tokenHashes: [] },
      { id: '2', userId: 2, revokeBefore: null, state: { userId: 2, authVersion: 2, role: 'publisher', active: true }, keepSession: null, tokenHashes: ['c'.repeat(64)] },
    ]);
    expect(viaDataApi.outboxOfBen).toEqual([(viaDataApi.outbox as unknown[])[1]]);
    expect(viaDataApi.outboxAfter).toEqual([]);
    expect(audit.filter((a) => a.action === 'token.create').at(-1)!.details).toEqual({
      token_id: TOKEN_ID,
      scopes: ['read', 'publish'],
      expires_at: '2030-01-02T03:04:05.678Z',
    });

    // What went over the wire: named parameters only, one statement per call, the repositories' casts.
    expect(fake.statements.some((s) => /\$\d/.test(s.replace(/'[^']*'|\$\$[\s\S]*?\$\$/g, '')))).toBe(false);
    expect(fake.statements).toContain('SELECT token_hash, user_id FROM registry.api_tokens WHERE registry_id = :p1 AND id = :p2::uuid AND revoked_at IS NULL');
    expect(fake.statements.some((s) => s.includes(':p7::jsonb') && s.includes('INSERT INTO registry.package_versions'))).toBe(true);
    expect(fake.statements.some((s) => s.includes('CAST('))).toBe(false);
    expect(fake.statements.some((s) => s.includes('CREATE FUNCTION registry.audit_log_is_append_only()') && !s.includes('CREATE TRIGGER'))).toBe(true);
  });

  it('keeps an append-only trigger\'s exception and a failed transaction\'s rollback', async () => {
    const err = await rejection(db.query('DELETE FROM registry.audit_log'));
    expect(err).toBeInstanceOf(DataApiError);
    expect(sqlState(err)).toBe('P0001');
    expect((err as Error).message).toContain('append-only');
    const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM registry.users')).rows[0]!.n;
    const before = await count();
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO registry.users (username, email, password_hash) VALUES ('tmp', 'tmp@example.com', 'h')");
        await tx.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ code: '22012' });
    expect(await count()).toBe(before);
  });

  it('round-trips every parameter kind through PostgreSQL, with the casts the SQL writes, as PGlite does', async () => {
    const texts = ['a', 'b"c', 'd\\e', 'f,g', '{h}', 'NULL', '', 'ünï ☃', "it's"];
    const when = new Date('2024-02-29T23:59:58.123Z');
    const sql = `SELECT $1::text[] AS texts, $2::int[] AS ints, $3::float8[] AS floats, $4::boolean[] AS flags, $5::timestamptz AS at,
              $6::jsonb AS obj, $7 AS n, $8::float8 AS d, $9::boolean AS b, $10 AS s, $11::text IS NULL AS nothing,
              $5::timestamptz > '2024-01-01'::timestamptz AS later, cardinality($1::text[]) AS len, $12::bigint AS big, $13::bytea AS bytes`;
    const params = [texts, [1, -2, 3_000_000], [1.5, -0.25], [true, false], when, { a: [1, 'x'], b: null }, 42, 2.5, true, 'plain', null, '9007199254740993', Buffer.from([0, 1, 255])];
    const expected = {
      texts,
      ints: [1, -2, 3_000_000],
      floats: [1.5, -0.25],
      flags: [true, false],
      at: when,
      obj: { a: [1, 'x'], b: null },
      n: '42', // bigint on the Data API, text on PGlite: node-postgres returns both as text
      d: 2.5,
      b: true,
      s: 'plain',
      nothing: true,
      later: true,
      len: 9,
      big: '9007199254740993',
      bytes: Buffer.from([0, 1, 255]),
    };
    expect((await db.query(sql, params)).rows[0]).toEqual(expected);
    const direct = (await baseline.query<Record<string, unknown>>(sql, params)).rows[0]!;
    // PGlite itself answers int8 as a BigInt and bytea as a Uint8Array (node-postgres: text, Buffer).
    expect({ ...direct, big: String(direct.big), bytes: Buffer.from(direct.bytes as Uint8Array) }).toEqual(expected);
  });
});
