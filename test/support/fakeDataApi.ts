import { randomUUID } from 'node:crypto';
import {
  BadRequestException,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RollbackTransactionCommand,
  TransactionNotFoundException,
  type ArrayValue,
  type ExecuteStatementCommandInput,
  type ExecuteStatementCommandOutput,
  type Field,
  type RDSDataClient,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * A stand-in for the RDS Data API in front of a real PostgreSQL engine (PGlite, or a server), for
 * running DataApiDatabase and the repositories on it without an AWS account. It answers as the
 * Data API does for Aurora PostgreSQL, and above all types parameters as it does, so that a
 * statement missing a cast fails here as it would on Aurora:
 *
 *  - named parameters only (`:name`; a `$n` left in the SQL is an error), one statement per call;
 *  - each parameter typed by its field: stringValue is varchar (unless its typeHint says UUID,
 *    JSON, TIMESTAMP, DATE, TIME or DECIMAL), longValue bigint, doubleValue double precision,
 *    booleanValue boolean, blobValue bytea, isNull an untyped NULL; arrayValue is refused, as
 *    ExecuteStatement refuses array parameters. So `uuid = varchar` has no operator, a varchar
 *    into a jsonb, timestamptz or text[] column is an error, `int = bigint` is fine, and a cast in
 *    the SQL (`:p1::uuid`) converts explicitly;
 *  - typed records with column metadata when includeResultMetadata is set: int2/int4 as longValue,
 *    int8 as longValue or (longReturnType STRING) stringValue, floats as doubleValue, booleans,
 *    timestamps as zone-less UTC text ("2024-05-01 12:34:56.789"), json/jsonb, uuid, numeric and
 *    text as stringValue, bytea as blobValue, arrays as arrayValue;
 *  - PostgreSQL errors as BadRequestException "ERROR: ...; SQLState: XXXXX";
 *  - transactions by id (BeginTransaction / CommitTransaction / RollbackTransaction); an unknown
 *    or ended id is a TransactionNotFoundException.
 *
 * `client` is what DataApiDatabase takes as its RDSDataClient; `statements` records the SQL of
 * every ExecuteStatement, as sent.
 */
export class FakeDataApi {
  readonly statements: string[] = [];
  readonly client = { send: (command: unknown) => this.send(command), destroy: () => {} } as unknown as RDSDataClient;
  private readonly transactions = new Map<string, EngineTransaction>();

  private constructor(private readonly engine: Engine) {}

  /** In front of PGlite: one session, so a transaction runs alone (others wait for it). */
  static overPglite(db: PGlite): FakeDataApi {
    return new FakeDataApi(pgliteEngine(db));
  }

  /** In front of a PostgreSQL server: a connection per transaction, as the Data API's own pool. */
  static overPostgres(connectionString: string): FakeDataApi {
    return new FakeDataApi(postgresEngine(connectionString));
  }

  async close(): Promise<void> {
    for (const tx of this.transactions.values()) await tx.rollback().catch(() => {});
    this.transactions.clear();
    await this.engine.close();
  }

  private async send(command: unknown): Promise<unknown> {
    if (command instanceof ExecuteStatementCommand) return this.execute(command.input);
    if (command instanceof BeginTransactionCommand) {
      requireTarget(command.input);
      const id = randomUUID();
      this.transactions.set(id, await this.engine.begin());
      return { $metadata: {}, transactionId: id };
    }
    if (command instanceof CommitTransactionCommand || command instanceof RollbackTransactionCommand) {
      const id = command.input.transactionId!;
      const tx = this.transactions.get(id);
      if (!tx) throw notFound(id);
      this.transactions.delete(id);
      const commit = command instanceof CommitTransactionCommand;
      try {
        await (commit ? tx.commit() : tx.rollback());
      } catch (err) {
        throw asBadRequest(err);
      }
      return { $metadata: {}, transactionStatus: commit ? 'Transaction Committed' : 'Rollback Complete' };
    }
    throw new Error(`FakeDataApi: ${(command as object)?.constructor?.name} is not part of the fake`);
  }

  private async execute(input: ExecuteStatementCommandInput): Promise<ExecuteStatementCommandOutput> {
    requireTarget(input);
    if (!input.sql) throw badRequest('SQL is required');
    const session = input.transactionId ? this.transactions.get(input.transactionId) : this.engine;
    if (!session) throw notFound(input.transactionId!);
    this.statements.push(input.sql);
    const { text, values } = bindNamed(input.sql, input.parameters ?? []);
    let r: EngineResult;
    try {
      r = await session.query(text, values);
    } catch (err) {
      throw asBadRequest(err);
    }
    const out: ExecuteStatementCommandOutput = { $metadata: {}, numberOfRecordsUpdated: r.fields.length === 0 ? r.affectedRows : 0 };
    if (r.fields.length === 0) return out;
    const types = r.fields.map((f) => TYPE_NAMES[f.dataTypeID] ?? `oid${f.dataTypeID}`);
    const longAsString = input.resultSetOptions?.longReturnType === 'STRING';
    out.records = r.rows.map((row) => row.map((v, n) => toField(v, types[n]!, longAsString)));
    if (input.includeResultMetadata) {
      out.columnMetadata = r.fields.map((f, n) => ({ name: f.name, label: f.name, typeName: types[n], nullable: 2 }));
    }
    return out;
  }
}

// -------------------------------------------------------------------------------------------------
// Engines: where the statements run.

interface EngineResult {
  fields: Array<{ name: string; dataTypeID: number }>;
  rows: unknown[][];
  affectedRows: number;
}
interface Session {
  query(text: string, values: unknown[]): Promise<EngineResult>;
}
interface EngineTransaction extends Session {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}
interface Engine extends Session {
  begin(): Promise<EngineTransaction>;
  close(): Promise<void>;
}

function pgliteEngine(db: PGlite): Engine {
  const run = async (on: PGlite | Transaction, text: string, values: unknown[]): Promise<EngineResult> => {
    // The extended protocol: one statement per call, as the Data API requires.
    const r = await on.query<unknown[]>(text, values, { rowMode: 'array' });
    return { fields: r.fields, rows: r.rows, affectedRows: r.affectedRows ?? 0 };
  };
  return {
    query: (text, values) => run(db, text, values),
    async begin() {
      // PGlite's own transaction, held open until commit or rollback: its statements go to `tx`,
      // and statements outside it wait, as PGlite runs one session.
      let end!: (commit: boolean) => void;
      const ended = new Promise<boolean>((resolve) => (end = resolve));
      let tx!: Transaction;
      let finished!: Promise<unknown>;
      await new Promise<void>((ready, fail) => {
        finished = db.transaction(async (t) => {
          tx = t;
          ready();
          if (!(await ended)) await t.rollback();
        });
        finished.catch(fail);
      });
      return {
        query: (text, values) => run(tx, text, values),
        async commit() {
          end(true);
          await finished;
        },
        async rollback() {
          end(false);
          await finished;
        },
      };
    },
    async close() {},
  };
}

function postgresEngine(connectionString: string): Engine {
  // Timestamps without a zone are UTC here, as the Data API's sessions are.
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === 1114 ? (v: string) => new Date(`${v.replace(' ', 'T')}Z`) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString, max: 10, types });
  pool.on('error', () => {});
  const run = async (on: pg.Pool | pg.PoolClient, text: string, values: unknown[]): Promise<EngineResult> => {
    const r = await on.query({ text, values, rowMode: 'array' });
    return { fields: r.fields, rows: r.rows as unknown[][], affectedRows: r.rowCount ?? 0 };
  };
  return {
    query: (text, values) => run(pool, text, values),
    async begin() {
      const client = await pool.connect();
      await client.query('BEGIN');
      let released = false;
      const end = async (sql: string) => {
        if (released) return;
        released = true;
        try {
          await client.query(sql);
        } finally {
          client.release();
        }
      };
      return { query: (text, values) => run(client, text, values), commit: () => end('COMMIT'), rollback: () => end('ROLLBACK') };
    },
    close: () => pool.end(),
  };
}

// -------------------------------------------------------------------------------------------------
// Requests and errors

const badRequest = (message: string) => new BadRequestException({ message, $metadata: { httpStatusCode: 400 } });
const notFound = (id: string) => new TransactionNotFoundException({ message: `Transaction ${id} is not found`, $metadata: { httpStatusCode: 400 } });

function requireTarget(input: { resourceArn?: string; secretArn?: string }): void {
  if (!input.resourceArn || !input.secretArn) throw badRequest('resourceArn and secretArn are required');
}

/** A PostgreSQL error as the Data API reports it. */
function asBadRequest(err: unknown): unknown {
  const e = err as { code?: string; message?: string; detail?: string };
  if (typeof e?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return err;
  return badRequest(`ERROR: ${e.message}${e.detail ? `\n  Detail: ${e.detail}` : ''}; SQLState: ${e.code}`);
}

const HINT_TYPES: Record<string, string> = { UUID: 'uuid', JSON: 'json', TIMESTAMP: 'timestamp', DATE: 'date', TIME: 'time', DECIMAL: 'numeric' };
const HINT_FORMATS: Record<string, RegExp> = {
  TIMESTAMP: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
  DATE: /^\d{4}-\d{2}-\d{2}$/,
  TIME: /^\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
};

/** A parameter as the Data API binds it: its value, and the type PostgreSQL sees (none for NULL). */
function bindValue(p: SqlParameter): [unknown, string | undefined] {
  const f = (p.value ?? {}) as {
    arrayValue?: unknown; isNull?: boolean; longValue?: number; doubleValue?: number; booleanValue?: boolean; blobValue?: Uint8Array; stringValue?: string;
  };
  if (f.arrayValue !== undefined) throw badRequest('Array parameters are not supported.');
  if (f.isNull) return [null, undefined];
  if (f.longValue !== undefined) return [f.longValue, 'int8'];
  if (f.doubleValue !== undefined) return [f.doubleValue, 'float8'];
  if (f.booleanValue !== undefined) return [f.booleanValue, 'bool'];
  if (f.blobValue !== undefined) return [f.blobValue, 'bytea'];
  if (f.stringValue === undefined) throw badRequest(`No value specified for parameter: ${p.name}`);
  if (p.typeHint === undefined) return [f.stringValue, 'varchar'];
  const type = HINT_TYPES[p.typeHint];
  if (!type) throw badRequest(`Invalid type hint: ${p.typeHint}`);
  const format = HINT_FORMATS[p.typeHint];
  if (format && !format.test(f.stringValue)) throw badRequest(`Invalid ${p.typeHint} value for parameter ${p.name}: ${f.stringValue}`);
  return [f.stringValue, type];
}

/** `:name` -> `$k::type` after the parameter's field, skipping literals, quoted names, comments and `::` casts. */
function bindNamed(sql: string, parameters: SqlParameter[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  let text = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const rest = sql.slice(i);
    let skip = 0;
    if (c === "'" || c === '"') {
      const backslash = c === "'" && /(^|[^A-Za-z0-9_])[eE]$/.test(sql.slice(0, i));
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (backslash && sql[j] === '\\') j++;
        else if (sql[j] === c) {
          if (sql[j + 1] === c) j++;
          else break;
        }
      }
      skip = j + 1 - i;
    } else if (/^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.test(rest)) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest)![0];
      const end = sql.indexOf(tag, i + tag.length);
      skip = (end < 0 ? sql.length : end + tag.length) - i;
    } else if (rest.startsWith('--')) skip = (sql.indexOf('\n', i) < 0 ? sql.length : sql.indexOf('\n', i)) - i;
    else if (rest.startsWith('/*')) skip = sql.indexOf('*/', i) + 2 - i;
    else if (rest.startsWith('::')) skip = 2;
    else if (/^[A-Za-z0-9_]/.test(rest)) skip = /^[A-Za-z0-9_$]+/.exec(rest)![0].length;
    else if (/^\$\d/.test(rest)) throw badRequest(`ERROR: there is no parameter ${/^\$\d+/.exec(rest)![0]}; SQLState: 42P02`);
    if (skip > 0) {
      text += sql.slice(i, i + skip);
      i += skip;
      continue;
    }
    const named = /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    if (named) {
      const p = parameters.find((q) => q.name === named[1]);
      if (!p) throw badRequest(`No value specified for parameter: ${named[1]}`);
      const [value, type] = bindValue(p);
      values.push(value);
      text += type ? `$${values.length}::${type}` : `$${values.length}`;
      i += named[0].length;
      continue;
    }
    text += c;
    i++;
  }
  return { text, values };
}

// -------------------------------------------------------------------------------------------------
// Results

const TYPE_NAMES: Record<number, string> = {
  16: 'bool', 17: 'bytea', 18: 'char', 19: 'name', 20: 'int8', 21: 'int2', 23: 'int4', 25: 'text', 26: 'oid', 114: 'json', 700: 'float4',
  701: 'float8', 1042: 'bpchar', 1043: 'varchar', 1082: 'date', 1083: 'time', 1114: 'timestamp', 1184: 'timestamptz', 1700: 'numeric',
  2950: 'uuid', 3614: 'tsvector', 3802: 'jsonb', 1000: '_bool', 1005: '_int2', 1007: '_int4', 1009: '_text', 1015: '_varchar',
  1016: '_int8', 1021: '_float4', 1022: '_float8', 1115: '_timestamp', 1185: '_timestamptz', 1231: '_numeric', 2951: '_uuid', 3807: '_jsonb',
};

const dataApiTimestamp = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
const asText = (v: unknown) => (v instanceof Date ? dataApiTimestamp(v) : typeof v === 'object' ? JSON.stringify(v) : String(v));

function toArrayValue(values: unknown[], element: string): ArrayValue {
  if (values.some(Array.isArray)) return { arrayValues: values.map((v) => toArrayValue(v as unknown[], element)) };
  if (element === 'int2' || element === 'int4' || element === 'int8') return { longValues: values.map(Number) };
  if (element === 'float4' || element === 'float8') return { doubleValues: values.map(Number) };
  if (element === 'bool') return { booleanValues: values as boolean[] };
  return { stringValues: values.map((v) => (v === null ? (null as unknown as string) : asText(v))) };
}

function toField(v: unknown, type: string, longAsString: boolean): Field {
  if (v === null || v === undefined) return { isNull: true };
  if (type.startsWith('_')) return { arrayValue: toArrayValue(v as unknown[], type.slice(1)) };
  switch (type) {
    case 'bool':
      return { booleanValue: v as boolean };
    case 'int2':
    case 'int4':
    case 'oid':
      return { longValue: Number(v) };
    case 'int8':
      return longAsString ? { stringValue: String(v) } : { longValue: Number(v) };
    case 'float4':
    case 'float8':
      return { doubleValue: Number(v) };
    case 'bytea':
      return { blobValue: v as Uint8Array };
    case 'date':
      return { stringValue: v instanceof Date ? v.toISOString().slice(0, 10) : String(v) };
    default:
      return { stringValue: asText(v) };
  }
}
