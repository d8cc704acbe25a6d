import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  type ArrayValue,
  type ColumnMetadata,
  type ExecuteStatementCommandOutput,
  type Field,
  type RDSDataClientConfig,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { StoreUnavailableError } from '../../errors.js';
import type { Database, QueryResult, SqlClient } from '../../ports/Database.js';
import { isSdkUnavailable } from '../../resilience/sdkErrors.js';
import { boundedRequestHandler } from '../../resilience/sdkTimeouts.js';
import { toStoreError } from './storeErrors.js';

/**
 * The PostgreSQL adapter on the RDS Data API (HTTPS, no VPC, no connection pool), so that the same
 * repositories run unchanged on it and on PgDatabase. It reads no catalog and does not parse SQL
 * beyond finding placeholders: the statements say the types themselves.
 *
 * Types. node-postgres sends every value as text of unknown type and PostgreSQL infers the type
 * from the context; the Data API types every value by its field: stringValue is varchar, longValue
 * bigint, doubleValue double precision, booleanValue boolean, blobValue bytea, isNull an untyped
 * NULL. A varchar goes wherever text does and a bigint wherever an integer does, but PostgreSQL
 * refuses a varchar where a uuid, jsonb, timestamptz or array is expected. So the repositories'
 * SQL casts every placeholder whose type is not text or a number: `$1::uuid`, `$2::jsonb`,
 * `$3::text[]`, `$4::timestamptz`, and `$5::bigint` for integers passed as strings. A missing cast
 * fails on the Data API (and on its fake in the tests), never silently.
 *
 * Parameters. Each `$n` outside string literals, quoted identifiers, comments and dollar-quoted
 * bodies becomes `:pn` (a repeated `$n` reuses `:pn`), and its value becomes a field:
 *  - null/undefined -> isNull; booleans -> booleanValue; safe integers -> longValue, other finite
 *    numbers -> doubleValue (NaN, ±Infinity and bigints past 2^53 as text: cast them);
 *  - strings -> stringValue; Buffers/Uint8Arrays -> blobValue;
 *  - Dates -> ISO-8601 UTC text, for `$n::timestamptz` (not the TIMESTAMP type hint: it wants
 *    `YYYY-MM-DD HH:MM:SS` and yields a zone-less timestamp that the session time zone would shift);
 *  - arrays -> PostgreSQL array literal text, for `$n::text[]`, `$n::int[]`... (the Data API takes
 *    no array parameters in ExecuteStatement);
 *  - other objects -> JSON text, for `$n::jsonb`.
 *
 * Results. Typed records with column metadata (not `formatRecordsAs: JSON`, which drops the
 * metadata), decoded to what node-postgres returns for the same types: numbers for int2/int4/float,
 * strings for int8 and numeric, booleans, Dates for timestamptz/timestamp (and for date, at local
 * midnight), parsed JSON for json/jsonb, JS arrays for arrays, Buffers for bytea, strings otherwise.
 *
 * Transactions. BeginTransaction, every statement with its transactionId (one at a time, like a pg
 * client), CommitTransaction; RollbackTransaction whenever the callback or the commit fails.
 *
 * Errors. The Data API hands back PostgreSQL's message with `; SQLState: XXXXX` appended; that
 * becomes DataApiError `code` (and `constraint` from the message), so repositories' sqlState() and
 * constraintName() work as on pg. Unavailability (serialization failures, deadlocks, connection
 * classes, throttling, 5xx, a resuming or unavailable cluster, statement timeouts, network errors)
 * becomes StoreUnavailableError('postgres'), which the guards count and, where safe, retry.
 *
 * Scripts (exec) are split at top-level semicolons and sent one statement per call (in one
 * transaction when there are several), since the Data API does not take multi-statement strings.
 *
 * Limits: a response is at most 1 MiB; a call ends after 45 s on the service side whatever the
 * client timeout (no per-statement statement_timeout: sessions are the service's); NULL elements
 * inside returned arrays are not representable in the Data API's array values; SQL text is also
 * read by the Data API's own `:name` parser, so avoid `:word` outside literals.
 */

export interface DataApiDatabaseOptions {
  /** DATABASE_CLUSTER_ARN */
  resourceArn: string;
  /** DATABASE_SECRET_ARN: the credentials the Data API logs in with. */
  secretArn: string;
  /** DATABASE_NAME */
  database: string;
  /** A client to use (tests, custom endpoints); by default one with bounded timeouts. */
  client?: RDSDataClient;
  region?: string;
  /** Per HTTP request, 3.5 s by default. The Data API itself ends a call after 45 s. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** A failed Data API call, shaped like a node-postgres error where that matters. */
export class DataApiError extends Error {
  /** SQLSTATE when PostgreSQL reported one; a network error's code otherwise. */
  readonly code?: string;
  readonly constraint?: string;
  readonly detail?: string;
  /** The Data API's exception name, e.g. BadRequestException. */
  readonly awsName: string;
  readonly httpStatusCode?: number;

  constructor(message: string, fields: { code?: string; constraint?: string; detail?: string; awsName: string; httpStatusCode?: number }, cause: unknown) {
    super(message, { cause });
    this.name = 'DataApiError';
    this.awsName = fields.awsName;
    if (fields.code !== undefined) this.code = fields.code;
    if (fields.constraint !== undefined) this.constraint = fields.constraint;
    if (fields.detail !== undefined) this.detail = fields.detail;
    if (fields.httpStatusCode !== undefined) this.httpStatusCode = fields.httpStatusCode;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

/** Exceptions that mean "the database cannot do it now", whatever the statement. */
const UNAVAILABLE_NAMES = new Set([
  'DatabaseResumingException',
  'DatabaseUnavailableException',
  'StatementTimeoutException',
  'ServiceUnavailableError',
  'ServiceUnavailable',
  'InternalServerErrorException',
  'InternalFailure',
  // The cluster is not in a state to serve (stopping, starting, modifying).
  'InvalidResourceStateException',
  // The Data API lost the transaction (failover, idle timeout): it was rolled back.
  'TransactionNotFoundException',
  'ThrottlingException',
  'TooManyRequestsException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const UNAVAILABLE_MESSAGES =
  /Communications link failure|Connection (?:refused|reset)|connection attempt failed|This connection has been closed|I\/O error|Database (?:is )?resuming|socket hang up/i;
/** Requests the service certainly did not run: the SDK may send them again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Turns a Data API failure into DataApiError (`code`, `constraint`), or StoreUnavailableError
 * when the database is unavailable rather than the statement wrong.
 */
export function toDataApiError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || err instanceof DataApiError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  const awsName = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = e.$metadata?.httpStatusCode;
  let code = /SQLState:\s*([0-9A-Z]{5})/i.exec(message)?.[1]?.toUpperCase();
  // A paused Serverless v2 cluster waking up: "the database system is starting up", safe to repeat.
  if (!code && awsName === 'DatabaseResumingException') code = '57P03';
  if (!code && typeof e.code === 'string') code = e.code;
  const constraint = /constraint "((?:[^"]|"")+)"/.exec(message)?.[1]?.replace(/""/g, '"');
  const detail = /\bDetail:\s*([\s\S]*?)(?:;\s*SQLState:|\n|$)/.exec(message)?.[1]?.trim();
  const mapped = new DataApiError(
    message,
    {
      awsName,
      ...(code ? { code } : {}),
      ...(constraint ? { constraint } : {}),
      ...(detail ? { detail } : {}),
      ...(status !== undefined ? { httpStatusCode: status } : {}),
    },
    err,
  );
  if (
    UNAVAILABLE_NAMES.has(awsName) ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    UNAVAILABLE_MESSAGES.test(message) ||
    isSdkUnavailable(err)
  ) {
    return new StoreUnavailableError('postgres', mapped);
  }
  // SQLSTATE classes 08/40001/40P01/53/57/58 and network error codes, as for node-postgres.
  return toStoreError(mapped);
}

/** Whether a failed request certainly never reached the database, so sending it again is safe. */
export function certainlyNotExecuted(err: unknown): boolean {
  const e = (err ?? {}) as SdkErrorShape;
  if (e.name === 'ThrottlingException' || e.name === 'TooManyRequestsException' || e.$metadata?.httpStatusCode === 429) return true;
  return typeof e.code === 'string' && NOT_SENT_CODES.has(e.code);
}

const MAX_ATTEMPTS = 2;

/**
 * The SDK's retries, limited to requests that certainly did not run: the SDK's standard strategy
 * would also repeat an ExecuteStatement or CommitTransaction whose response timed out, which may
 * run an INSERT twice or report a committed transaction as failed.
 */
const safeRetryStrategy = {
  async acquireInitialRetryToken(_scope: string) {
    return retryToken(0, 0);
  },
  async refreshRetryTokenForRetry(token: { getRetryCount(): number }, info: { error?: unknown }) {
    const attempt = token.getRetryCount() + 1;
    if (attempt >= MAX_ATTEMPTS || !certainlyNotExecuted(info.error)) throw info.error instanceof Error ? info.error : new Error('no retry');
    return retryToken(attempt, 50 + Math.floor(Math.random() * 100));
  },
  recordSuccess(_token: unknown) {},
};
function retryToken(count: number, delay: number) {
  return { getRetryCount: () => count, getRetryDelay: () => delay };
}

/**
 * A Data API client with bounded timeouts and two attempts where a second one is safe. A call
 * that gets no answer ends after `requestTimeoutMs` (enforced: boundedRequestHandler), 3.5 s by
 * default, as node-postgres's query timeout does: inside the shortest route's deadline (5 s).
 */
export function createDataApiClient(
  options: { region?: string; endpoint?: string; requestTimeoutMs?: number; connectTimeoutMs?: number } = {},
): RDSDataClient {
  const config: RDSDataClientConfig = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: MAX_ATTEMPTS,
    retryStrategy: safeRetryStrategy,
    requestHandler: boundedRequestHandler({
      connectTimeoutMs: options.connectTimeoutMs ?? 1000,
      requestTimeoutMs: options.requestTimeoutMs ?? 3500,
    }),
  };
  return new RDSDataClient(config);
}

// ---------------------------------------------------------------------------------------------
// SQL text: placeholders and statement ends, outside literals, quoted names and comments.

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const PLACEHOLDER = /\$(\d+)/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/** End (exclusive) of a quoted run starting at `open` (the quote), `''`-style doubling; `\` escapes when `backslash`. */
function skipQuoted(sql: string, open: number, quote: string, backslash: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslash && c === '\\') i += 2;
    else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** Calls `placeholder` for each `$n` and `semicolon` for each `;` that PostgreSQL's lexer would see as such. */
function scan(sql: string, placeholder: (n: number, start: number, end: number) => void, semicolon: (at: number) => void = () => {}): void {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const escapes = c === "'" && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !IDENT_CHAR.test(sql[i - 2] ?? ' ');
      i = skipQuoted(sql, i, c, escapes);
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (sql.startsWith('/*', i)) {
      let depth = 0;
      do {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < sql.length);
    } else if (c === '$') {
      PLACEHOLDER.lastIndex = DOLLAR_TAG.lastIndex = i;
      const param = PLACEHOLDER.exec(sql);
      const tag = param ? undefined : DOLLAR_TAG.exec(sql)?.[0];
      if (param) placeholder(Number(param[1]), i, (i += param[0].length));
      else if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close < 0 ? sql.length : close + tag.length;
      } else i++;
    } else if (IDENT_CHAR.test(c)) {
      // A whole identifier (or number): `$` inside one, as in `price$1`, is no placeholder.
      while (i < sql.length && IDENT_CHAR.test(sql[i]!)) i++;
    } else {
      if (c === ';') semicolon(i);
      i++;
    }
  }
}

/** `$n` -> `:pn`; the placeholders used, and the highest n (PostgreSQL expects that many values). */
function toNamedPlaceholders(sql: string): { sql: string; used: number[]; count: number } {
  let out = '';
  let last = 0;
  const used = new Set<number>();
  scan(sql, (n, start, end) => {
    out += `${sql.slice(last, start)}:p${n}`;
    last = end;
    used.add(n);
  });
  out += sql.slice(last);
  // A trailing semicolon is not part of the statement.
  return { sql: out.replace(/;\s*$/, ''), used: [...used].sort((a, b) => a - b), count: Math.max(0, ...used) };
}

const onlyComments = (s: string) => s.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').trim() === '';

/** The statements of a script, split at top-level semicolons. Empty statements are dropped. */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let from = 0;
  scan(
    script,
    () => {},
    (at) => {
      out.push(script.slice(from, at));
      from = at + 1;
    },
  );
  out.push(script.slice(from));
  return out.map((s) => s.trim()).filter((s) => !onlyComments(s));
}

// ---------------------------------------------------------------------------------------------
// Values

/** An element as node-postgres would write it into an array literal (always quoted, so "NULL" stays a string). */
function arrayLiteral(values: readonly unknown[]): string {
  return `{${values
    .map((v) => {
      if (v === null || v === undefined) return 'NULL';
      if (Array.isArray(v)) return arrayLiteral(v);
      const text =
        v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
      return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    })
    .join(',')}}`;
}

/** A parameter value as a Data API field (see the types above: the SQL casts what is not text or a number). */
export function toField(v: unknown): Field {
  if (v === null || v === undefined) return { isNull: true };
  if (typeof v === 'boolean') return { booleanValue: v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { longValue: v } : Number.isFinite(v) ? { doubleValue: v } : { stringValue: String(v) };
  if (typeof v === 'bigint') return v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER ? { longValue: Number(v) } : { stringValue: String(v) };
  if (typeof v === 'string') return { stringValue: v };
  if (v instanceof Date) return { stringValue: v.toISOString() };
  if (v instanceof Uint8Array) return { blobValue: v };
  if (Array.isArray(v)) return { stringValue: arrayLiteral(v) };
  return { stringValue: JSON.stringify(v) };
}

// ---------------------------------------------------------------------------------------------
// Results

/** pgjdbc reports identity/serial columns as serial types. */
const INT_TYPES = new Set(['int2', 'int4', 'serial', 'smallserial', 'oid', 'smallint', 'integer', 'serial4', 'serial2']);
const INT8_TYPES = new Set(['int8', 'bigserial', 'bigint', 'serial8']);
const FLOAT_TYPES = new Set(['float4', 'float8', 'real', 'double precision']);

function rawValue(f: Field): unknown {
  if (f.isNull) return null;
  if (f.stringValue !== undefined) return f.stringValue;
  if (f.longValue !== undefined) return f.longValue;
  if (f.doubleValue !== undefined) return f.doubleValue;
  if (f.booleanValue !== undefined) return f.booleanValue;
  if (f.blobValue !== undefined) return f.blobValue;
  if (f.arrayValue !== undefined) return f.arrayValue;
  return null;
}

/** A timestamp as the Data API writes it ("2024-05-01 12:34:56.789", UTC, or with an offset). */
export function parseTimestamp(text: string): Date {
  const m = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text.trim());
  if (!m) return new Date(text);
  const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  let offsetMin = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms) - offsetMin * 60_000);
}

/** A scalar of PostgreSQL type `type` (lower-case name without array prefix) as node-postgres returns it. */
function decodeScalar(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (INT_TYPES.has(type)) return typeof value === 'number' ? value : Number(value);
  // The Data API returns these as text or numbers (never objects).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  if (INT8_TYPES.has(type) || type === 'numeric' || type === 'decimal' || type === 'money') return String(value);
  if (FLOAT_TYPES.has(type)) return typeof value === 'number' ? value : Number(value);
  if (type === 'bool' || type === 'boolean') return typeof value === 'boolean' ? value : value === 't' || value === 'true';
  if (type === 'timestamptz' || type === 'timestamp' || type === 'timestamp with time zone' || type === 'timestamp without time zone') {
    return typeof value === 'string' ? parseTimestamp(value) : value;
  }
  if (type === 'date' && typeof value === 'string') {
    const m = /^(\d{4,})-(\d{2})-(\d{2})$/.exec(value);
    return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : value;
  }
  if ((type === 'json' || type === 'jsonb') && typeof value === 'string') return JSON.parse(value);
  if (value instanceof Uint8Array) return Buffer.from(value);
  return value;
}

/** Parses a PostgreSQL array literal ("{a,\"b c\",NULL}"), for arrays that arrive as text. */
export function parseArrayLiteral(text: string): unknown[] {
  let i = 0;
  const parse = (): unknown[] => {
    const out: unknown[] = [];
    i++; // {
    while (i < text.length && text[i] !== '}') {
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '{') out.push(parse());
      else if (text[i] === '"') {
        let s = '';
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          s += text[i++];
        }
        i++;
        out.push(s);
      } else {
        let s = '';
        while (i < text.length && text[i] !== ',' && text[i] !== '}') s += text[i++];
        out.push(s === 'NULL' ? null : s);
      }
    }
    i++; // }
    return out;
  };
  const start = text.indexOf('{');
  if (start < 0) return [];
  i = start;
  return parse();
}

function decodeArray(value: unknown, elementType: string): unknown[] {
  if (typeof value === 'string') return decodeNested(parseArrayLiteral(value), elementType);
  const a = value as ArrayValue;
  if (a.arrayValues) return a.arrayValues.map((nested) => decodeArray(nested, elementType));
  const list = (a.stringValues ?? a.longValues ?? a.doubleValues ?? a.booleanValues ?? []) as unknown[];
  return list.map((v) => decodeScalar(v, elementType));
}
function decodeNested(values: unknown[], elementType: string): unknown[] {
  return values.map((v) => (Array.isArray(v) ? decodeNested(v, elementType) : decodeScalar(v, elementType)));
}

function decodeField(f: Field, meta: ColumnMetadata | undefined): unknown {
  const raw = rawValue(f);
  if (raw === null) return null;
  const type = (meta?.typeName ?? '').toLowerCase().replace(/^"|"$/g, '');
  if (type.startsWith('_') || type.endsWith('[]') || f.arrayValue !== undefined) {
    const element = type.startsWith('_') ? type.slice(1) : type.replace(/\[\]$/, '');
    return decodeArray(raw, element);
  }
  return decodeScalar(raw, type);
}

function toQueryResult<Row>(out: ExecuteStatementCommandOutput): QueryResult<Row> {
  const meta = out.columnMetadata ?? [];
  const names = meta.map((c, i) => c.label || c.name || `?column?${i}`);
  const rows = (out.records ?? []).map((record) => {
    const row: Record<string, unknown> = {};
    record.forEach((f, i) => {
      row[names[i] ?? `?column?${i}`] = decodeField(f, meta[i]);
    });
    return row as Row;
  });
  return { rows, rowCount: Math.max(rows.length, out.numberOfRecordsUpdated ?? 0) };
}

// ---------------------------------------------------------------------------------------------
// The adapter

const TRANSACTION_CONTROL = /^(begin|start|commit|end|rollback|abort|savepoint|release|prepare\s+transaction)\b/i;

export class DataApiDatabase implements Database {
  private readonly client: RDSDataClient;
  private readonly ownsClient: boolean;
  private readonly target: { resourceArn: string; secretArn: string; database: string };

  constructor(options: DataApiDatabaseOptions) {
    this.target = { resourceArn: options.resourceArn, secretArn: options.secretArn, database: options.database };
    this.ownsClient = !options.client;
    this.client =
      options.client ??
      createDataApiClient({
        ...(options.region ? { region: options.region } : {}),
        ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
        ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      });
  }

  query<Row = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    return this.run<Row>(text, params, undefined);
  }

  async exec(script: string): Promise<void> {
    const statements = scriptStatements(script);
    if (statements.length === 0) return;
    if (statements.length === 1) {
      await this.execute(statements[0]!, [], undefined);
      return;
    }
    // One statement per call (the Data API does not take multi-statement strings), all in one
    // transaction, as PostgreSQL runs a multi-statement query string.
    await this.transaction((tx) => tx.exec(script));
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const begun = await this.send(() => this.client.send(new BeginTransactionCommand({ ...this.target })));
    const transactionId = begun.transactionId;
    if (!transactionId) throw new DataApiError('BeginTransaction returned no transactionId', { awsName: 'DataApiDatabase' }, undefined);
    let open = true;
    // One statement at a time, as on one pg connection.
    let queue: Promise<unknown> = Promise.resolve();
    const serial = <R>(op: () => Promise<R>): Promise<R> => {
      const p = queue.then(() => {
        if (!open) throw new Error('The transaction has already ended');
        return op();
      });
      queue = p.catch(() => {});
      return p;
    };
    const tx: SqlClient = {
      query: <Row = Record<string, unknown>>(text: string, params: readonly unknown[] = []) => serial(() => this.run<Row>(text, params, transactionId)),
      exec: (script: string) =>
        serial(async () => {
          for (const s of scriptStatements(script)) await this.execute(s, [], transactionId);
        }),
    };
    const ids = { resourceArn: this.target.resourceArn, secretArn: this.target.secretArn, transactionId };
    try {
      const result = await fn(tx);
      await queue;
      open = false;
      await this.send(() => this.client.send(new CommitTransactionCommand(ids)));
      return result;
    } catch (err) {
      open = false;
      await queue;
      try {
        await this.client.send(new RollbackTransactionCommand(ids));
      } catch {
        // Already ended (a failed commit, a lost transaction); else the Data API rolls it back
        // itself after three idle minutes. The caller's error is the one that matters.
      }
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  /** One statement with `$n` parameters, in the transaction if one is given. */
  private run<Row>(text: string, params: readonly unknown[], transactionId: string | undefined): Promise<QueryResult<Row>> {
    const { sql, used, count } = toNamedPlaceholders(text);
    if (count !== params.length) {
      return Promise.reject(new Error(`The statement uses ${count} parameter(s) but ${params.length} were supplied`));
    }
    const parameters: SqlParameter[] = used.map((n) => ({ name: `p${n}`, value: toField(params[n - 1]) }));
    return this.execute<Row>(sql, parameters, transactionId);
  }

  private async execute<Row>(sql: string, parameters: SqlParameter[], transactionId: string | undefined): Promise<QueryResult<Row>> {
    const out = await this.send(() =>
      this.client.send(
        new ExecuteStatementCommand({
          ...this.target,
          sql,
          ...(parameters.length > 0 ? { parameters } : {}),
          ...(transactionId ? { transactionId } : {}),
          includeResultMetadata: true,
          // int8 as text, as node-postgres returns it (no rounding past 2^53); numeric likewise.
          resultSetOptions: { longReturnType: 'STRING', decimalReturnType: 'STRING' },
        }),
      ),
    );
    return toQueryResult<Row>(out);
  }

  /** A Data API call, its failure mapped (toDataApiError). */
  private async send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toDataApiError(err);
    }
  }
}

/** A script's statements; transaction control is refused (the Data API has calls for it). */
function scriptStatements(script: string): string[] {
  const statements = splitStatements(script);
  for (const s of statements) {
    if (TRANSACTION_CONTROL.test(s.replace(/^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, ''))) {
      throw new Error(`DataApiDatabase runs transactions with transaction(), not "${s.slice(0, 40)}"`);
    }
  }
  return statements;
}
