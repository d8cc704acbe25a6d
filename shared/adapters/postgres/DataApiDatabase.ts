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
 * repositories run unchanged on it and on PgDatabase. What it does to bridge the two:
 *
 * Parameters. Repositories write `$1..$n`; the Data API takes named parameters, so each `$n` outside
 * string literals, quoted identifiers, comments and dollar-quoted bodies becomes `:pn` (a repeated
 * `$n` reuses `:pn`). node-postgres sends every value as text of unknown type and lets PostgreSQL
 * infer the type from the context; the Data API types every value (string -> varchar, integer ->
 * bigint, double -> float8, boolean -> bool) and PostgreSQL then refuses varchar where a uuid, jsonb,
 * timestamptz or array is expected. So, unless the SQL casts the placeholder itself (`$1::uuid`,
 * `CAST($1 AS uuid)`), the driver casts it:
 *  - JS arrays (the Data API has no array parameters) travel as a PostgreSQL array literal string,
 *    cast to the target column's type, else to `text[]` / `integer[]` / `bigint[]` / `double precision[]`
 *    / `boolean[]` / `timestamptz[]` / `jsonb[]` after their elements;
 *  - Dates travel as ISO-8601 UTC strings, cast to the column's type, else to `timestamptz` (no
 *    TIMESTAMP type hint: it wants `YYYY-MM-DD HH:MM:SS` and yields a zone-less timestamp that the
 *    session time zone would then shift);
 *  - strings, JSON values (plain objects, sent as JSON text) and nulls are cast to the column's type
 *    when the placeholder is an INSERT value, an UPDATE/ON CONFLICT `SET col = $n`, or one side of a
 *    comparison with a column (`t.id = $2`, `$2 = id`) and that column's type is not a string type.
 *    Column types come from the database's catalog, read once per instance when first needed.
 *    Objects with no such context are cast to jsonb; strings and nulls are left as they are.
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
 * read by the Data API's own `:name` parser, so avoid `:word` inside dollar-quoted bodies.
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
  /**
   * Column types (`{ 'schema.table': { column: 'sql type' } }`) instead of reading the catalog.
   * Only used to cast untyped parameters (see above).
   */
  columnTypes?: Record<string, Record<string, string>>;
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
    if (attempt >= MAX_ATTEMPTS || !certainlyNotExecuted(info.error)) throw info.error ?? new Error('no retry');
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
    retryStrategy: safeRetryStrategy as unknown as RDSDataClientConfig['retryStrategy'],
    requestHandler: boundedRequestHandler({
      connectTimeoutMs: options.connectTimeoutMs ?? 1000,
      requestTimeoutMs: options.requestTimeoutMs ?? 3500,
    }),
  };
  return new RDSDataClient(config);
}

// ---------------------------------------------------------------------------------------------
// SQL scanning: just enough of PostgreSQL's lexer to find placeholders, casts and statement ends.

type TokenKind = 'space' | 'comment' | 'ident' | 'qident' | 'string' | 'number' | 'param' | 'cast' | 'op' | 'punct';
interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  /** For `param`: n of `$n`. For `ident`/`qident`: the identifier's folded value. */
  param?: number;
  value?: string;
}

const OP_CHARS = '+-*/<>=~!@#%^&|`?';
const isIdentStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c);
const isIdentChar = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

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

export function lexSql(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, extra: Partial<Token> = {}) => tokens.push({ kind, text: sql.slice(start, i), start, end: i, ...extra });
  while (i < sql.length) {
    const start = i;
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      while (i < sql.length && /\s/.test(sql[i]!)) i++;
      push('space', start);
    } else if (c === '-' && next === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      push('comment', start);
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql.startsWith('/*', i)) (depth++, (i += 2));
        else if (sql.startsWith('*/', i)) (depth--, (i += 2));
        else i++;
      }
      push('comment', start);
    } else if (c === "'") {
      i = skipQuoted(sql, i, "'", false);
      push('string', start);
    } else if ((c === 'E' || c === 'e') && next === "'") {
      i = skipQuoted(sql, i + 1, "'", true);
      push('string', start);
    } else if ('BbXxNn'.includes(c) && next === "'") {
      i = skipQuoted(sql, i + 1, "'", false);
      push('string', start);
    } else if ((c === 'U' || c === 'u') && next === '&' && (sql[i + 2] === "'" || sql[i + 2] === '"')) {
      const quote = sql[i + 2]!;
      i = skipQuoted(sql, i + 2, quote, false);
      push(quote === "'" ? 'string' : 'qident', start, quote === '"' ? { value: sql.slice(start + 3, i - 1).replace(/""/g, '"') } : {});
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
      push('qident', start, { value: sql.slice(start + 1, i - 1).replace(/""/g, '"') });
    } else if (c === '$') {
      if (isDigit(next)) {
        i++;
        while (isDigit(sql[i])) i++;
        push('param', start, { param: Number(sql.slice(start + 1, i)) });
      } else {
        const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i))?.[0];
        if (tag) {
          const close = sql.indexOf(tag, i + tag.length);
          i = close < 0 ? sql.length : close + tag.length;
          push('string', start);
        } else {
          i++;
          push('punct', start);
        }
      }
    } else if (isIdentStart(c)) {
      while (i < sql.length && isIdentChar(sql[i]!)) i++;
      push('ident', start, { value: sql.slice(start, i).toLowerCase() });
    } else if (isDigit(c) || (c === '.' && isDigit(next))) {
      while (isDigit(sql[i]) || sql[i] === '.' || sql[i] === '_') i++;
      if ((sql[i] === 'e' || sql[i] === 'E') && (isDigit(sql[i + 1]) || ((sql[i + 1] === '+' || sql[i + 1] === '-') && isDigit(sql[i + 2])))) {
        i += 2;
        while (isDigit(sql[i])) i++;
      }
      push('number', start);
    } else if (c === ':' && next === ':') {
      i += 2;
      push('cast', start);
    } else if (OP_CHARS.includes(c)) {
      i++;
      while (i < sql.length && OP_CHARS.includes(sql[i]!) && !sql.startsWith('--', i) && !sql.startsWith('/*', i)) i++;
      push('op', start);
    } else {
      i++;
      push('punct', start);
    }
  }
  return tokens;
}

const significant = (t: Token) => t.kind !== 'space' && t.kind !== 'comment';
const isWord = (t: Token | undefined, ...words: string[]) => t?.kind === 'ident' && words.includes(t.value!);

/**
 * The statements of a script, split at top-level semicolons (not inside literals, comments,
 * dollar-quoted bodies or `BEGIN ATOMIC ... END` function bodies). Empty statements are dropped.
 */
export function splitStatements(script: string): string[] {
  const tokens = lexSql(script);
  const out: string[] = [];
  let from = 0;
  let atomic = 0;
  let cases = 0;
  let prev: Token | undefined;
  const flush = (to: number) => {
    const part = tokens.filter((t) => t.start >= from && t.end <= to);
    if (part.some(significant)) out.push(script.slice(from, to).trim());
  };
  for (const t of tokens) {
    if (t.kind === 'ident') {
      if (t.value === 'atomic' && isWord(prev, 'begin')) atomic++;
      else if (atomic > 0 && t.value === 'case') cases++;
      else if (atomic > 0 && t.value === 'end') {
        if (cases > 0) cases--;
        else atomic--;
      }
    }
    if (t.kind === 'punct' && t.text === ';' && atomic === 0) {
      flush(t.start);
      from = t.end;
    }
    if (significant(t)) prev = t;
  }
  flush(script.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Where each placeholder goes: explicitly cast, or into which column.

interface TableRef {
  schema?: string;
  name: string;
}
interface ColumnContext {
  /** Candidate tables (one when qualified or known). */
  tables: TableRef[];
  column: string;
}
interface Placeholder {
  /** Index into the token list. */
  token: number;
  param: number;
  explicitCast: boolean;
  context?: ColumnContext;
}
interface Analysis {
  tokens: Token[];
  placeholders: Placeholder[];
  maxParam: number;
}

const NOT_ALIAS = new Set(
  (
    'where set on join inner left right full cross natural using group order limit offset returning values select default for ' +
    'window having union except intersect fetch outer lateral tablesample overriding conflict do nothing with as from into of ' +
    'nowait skip only'
  ).split(' '),
);
const COMPARISONS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);
const identValue = (t: Token | undefined) => (t && (t.kind === 'ident' || t.kind === 'qident') ? t.value : undefined);

function analyse(sql: string): Analysis {
  const tokens = lexSql(sql);
  const sig = tokens.map((t, index) => ({ t, index })).filter(({ t }) => significant(t));
  const at = (k: number) => sig[k]?.t;
  const placeholders = new Map<number, Placeholder>(); // by sig position
  let maxParam = 0;

  for (let k = 0; k < sig.length; k++) {
    const t = at(k)!;
    if (t.kind !== 'param') continue;
    maxParam = Math.max(maxParam, t.param!);
    const explicitCast = at(k + 1)?.kind === 'cast' || (isWord(at(k + 1), 'as') && at(k - 1)?.text === '(' && isWord(at(k - 2), 'cast'));
    placeholders.set(k, { token: sig[k]!.index, param: t.param!, explicitCast });
  }

  // Tables the statement names, with their aliases.
  const tables: TableRef[] = [];
  const aliases = new Map<string, TableRef>();
  /** Reads `[schema.]table [[AS] alias]` at sig position k; returns the ref and the position after it. */
  const readTable = (k: number, insertTarget = false): { ref: TableRef; next: number } | undefined => {
    if (isWord(at(k), 'only')) k++;
    const parts: string[] = [];
    let j = k;
    for (;;) {
      const name = identValue(at(j));
      if (name === undefined || (at(j)!.kind === 'ident' && NOT_ALIAS.has(name) && parts.length === 0)) return undefined;
      parts.push(name);
      if (at(j + 1)?.text === '.') j += 2;
      else break;
    }
    j++;
    if (at(j)?.text === '(' && !insertTarget) return undefined; // a function, e.g. FROM unnest(...)
    const ref: TableRef = parts.length > 1 ? { schema: parts[parts.length - 2]!, name: parts[parts.length - 1]! } : { name: parts[0]! };
    tables.push(ref);
    aliases.set(ref.name, ref);
    let alias: string | undefined;
    if (isWord(at(j), 'as') && identValue(at(j + 1)) !== undefined) {
      alias = identValue(at(j + 1));
      j += 2;
    } else if (identValue(at(j)) !== undefined && !(at(j)!.kind === 'ident' && NOT_ALIAS.has(at(j)!.value!))) {
      alias = identValue(at(j));
      j++;
    }
    if (alias) aliases.set(alias, ref);
    return { ref, next: j };
  };

  // Statement parts: table references, INSERT column lists, SET clauses.
  const contexts = new Map<number, ColumnContext>(); // sig position of a placeholder -> its column
  let target: TableRef | undefined;
  /** Splits the top-level comma-separated items from sig position k until a stop (exclusive). */
  const items = (k: number, stop: (t: Token, depth: number) => boolean): { list: Array<[number, number]>; end: number } => {
    const list: Array<[number, number]> = [];
    let depth = 0;
    let from = k;
    let j = k;
    for (; j < sig.length; j++) {
      const t = at(j)!;
      if (depth === 0 && stop(t, depth)) break;
      if (t.text === '(' || t.text === '[') depth++;
      else if (t.text === ')' || t.text === ']') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && t.text === ',') {
        list.push([from, j]);
        from = j + 1;
      }
    }
    list.push([from, j]);
    return { list, end: j };
  };
  const single = ([from, to]: [number, number]) => (to - from === 1 && at(from)!.kind === 'param' ? from : to - from === 3 && at(from)!.text === '(' && at(from + 1)!.kind === 'param' && at(from + 2)!.text === ')' ? from + 1 : -1);

  for (let k = 0; k < sig.length; k++) {
    const t = at(k)!;
    if (isWord(t, 'update') && isWord(at(k - 1), 'for', 'key')) continue; // FOR [NO KEY] UPDATE
    if (isWord(t, 'from', 'join', 'using', 'update') || (isWord(t, 'into') && isWord(at(k - 1), 'insert'))) {
      const read = readTable(k + 1, isWord(t, 'into'));
      if (!read) continue;
      if (isWord(t, 'update')) target = read.ref;
      if (isWord(t, 'into')) {
        target = read.ref;
        let j = read.next;
        const columns: string[] = [];
        if (at(j)?.text === '(') {
          const list = items(j + 1, () => false);
          for (const [from, to] of list.list) columns.push(to - from === 1 ? (identValue(at(from)) ?? '') : '');
          j = list.end + 1;
        }
        if (isWord(at(j), 'overriding')) j += 3;
        if (columns.length === 0) continue;
        const mapRow = (row: Array<[number, number]>) =>
          row.forEach((item, n) => {
            const p = single(item);
            if (p >= 0 && columns[n]) contexts.set(p, { tables: [read.ref], column: columns[n]! });
          });
        if (isWord(at(j), 'values')) {
          j++;
          while (at(j)?.text === '(') {
            const row = items(j + 1, () => false);
            mapRow(row.list);
            j = row.end + 1;
            if (at(j)?.text !== ',') break;
            j++;
          }
        } else if (isWord(at(j), 'select')) {
          j++;
          if (isWord(at(j), 'distinct', 'all')) j++;
          const row = items(j, (s) => s.text === ';' || isWord(s, 'from', 'where', 'group', 'order', 'limit', 'offset', 'on', 'returning', 'union', 'except', 'intersect', 'window', 'having'));
          mapRow(row.list);
        }
      }
    } else if (isWord(t, 'set') && target) {
      const set = items(k + 1, (s) => s.text === ';' || isWord(s, 'where', 'from', 'returning'));
      for (const [from, to] of set.list) {
        const column = identValue(at(from));
        if (column !== undefined && at(from + 1)?.text === '=') {
          const p = single([from + 2, to]);
          if (p >= 0) contexts.set(p, { tables: [target], column });
        }
      }
    }
  }

  // Comparisons with a column: `[q.]col OP $n` and `$n OP [q.]col`.
  const columnBefore = (k: number): { qualifier?: string; column: string } | undefined => {
    const column = identValue(at(k));
    if (column === undefined || (at(k)!.kind === 'ident' && NOT_ALIAS.has(column))) return undefined;
    if (at(k - 1)?.text === '.') {
      const qualifier = identValue(at(k - 2));
      return qualifier === undefined ? undefined : { qualifier, column };
    }
    return { column };
  };
  const columnAfter = (k: number): { qualifier?: string; column: string } | undefined => {
    const first = identValue(at(k));
    if (first === undefined || (at(k)!.kind === 'ident' && NOT_ALIAS.has(first))) return undefined;
    if (at(k + 1)?.text === '.') {
      const column = identValue(at(k + 2));
      if (column === undefined || at(k + 3)?.text === '(' || at(k + 3)?.text === '.') return undefined;
      return { qualifier: first, column };
    }
    if (at(k + 1)?.text === '(') return undefined;
    return { column: first };
  };
  for (const [k, p] of placeholders) {
    if (p.explicitCast || contexts.has(k)) continue;
    const left = at(k - 1)?.kind === 'op' && COMPARISONS.has(at(k - 1)!.text) ? columnBefore(k - 2) : undefined;
    const right = !left && at(k + 1)?.kind === 'op' && COMPARISONS.has(at(k + 1)!.text) ? columnAfter(k + 2) : undefined;
    const col = left ?? right;
    if (!col) continue;
    if (col.qualifier !== undefined) {
      const ref = aliases.get(col.qualifier);
      if (ref) contexts.set(k, { tables: [ref], column: col.column });
    } else if (tables.length > 0) {
      contexts.set(k, { tables: [...tables], column: col.column });
    }
  }

  for (const [k, p] of placeholders) {
    const context = contexts.get(k);
    if (context && !p.explicitCast) p.context = context;
  }
  return { tokens, placeholders: [...placeholders.values()], maxParam };
}

// ---------------------------------------------------------------------------------------------
// Values

type Kind = 'null' | 'boolean' | 'integer' | 'double' | 'special-number' | 'bigint' | 'string' | 'date' | 'array' | 'json' | 'bytes';

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'integer' : Number.isFinite(v) ? 'double' : 'special-number';
  if (typeof v === 'bigint') return 'bigint';
  if (typeof v === 'string') return 'string';
  if (v instanceof Date) return 'date';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Uint8Array) return 'bytes';
  return 'json';
}

/** An element as node-postgres would write it into an array literal (always quoted, so "NULL" stays a string). */
function arrayLiteral(values: readonly unknown[]): string {
  return `{${values
    .map((v) => {
      if (v === null || v === undefined) return 'NULL';
      if (Array.isArray(v)) return arrayLiteral(v);
      const text = v instanceof Date ? v.toISOString() : typeof v === 'object' && !(v instanceof Uint8Array) ? JSON.stringify(v) : String(v);
      return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    })
    .join(',')}}`;
}

/** The array type to cast a JS array to when nothing else says: after its (non-null) elements. */
function arrayType(values: readonly unknown[]): string {
  const flat = (values as unknown[]).flat(Infinity).filter((v) => v !== null && v !== undefined);
  if (flat.length === 0) return 'text[]';
  if (flat.every((v) => typeof v === 'boolean')) return 'boolean[]';
  if (flat.every((v) => typeof v === 'number' && Number.isInteger(v)))
    return flat.every((v) => Math.abs(v as number) <= 2_147_483_647) ? 'integer[]' : 'bigint[]';
  if (flat.every((v) => typeof v === 'number' || typeof v === 'bigint')) return flat.every((v) => typeof v === 'bigint') ? 'bigint[]' : 'double precision[]';
  if (flat.every((v) => v instanceof Date)) return 'timestamptz[]';
  if (flat.every((v) => typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array))) return 'jsonb[]';
  return 'text[]';
}

function fieldOf(v: unknown, kind: Kind): Field {
  switch (kind) {
    case 'null':
      return { isNull: true };
    case 'boolean':
      return { booleanValue: v as boolean };
    case 'integer':
      return { longValue: v as number };
    case 'double':
      return { doubleValue: v as number };
    case 'special-number':
      return { stringValue: String(v) };
    case 'bigint':
      return Number.isSafeInteger(Number(v)) ? { longValue: Number(v) } : { stringValue: String(v) };
    case 'string':
      return { stringValue: v as string };
    case 'date':
      return { stringValue: (v as Date).toISOString() };
    case 'array':
      return { stringValue: arrayLiteral(v as unknown[]) };
    case 'bytes':
      return { blobValue: v as Uint8Array };
    case 'json':
      return { stringValue: JSON.stringify(v) };
  }
}

/** String types a varchar parameter goes into without a cast. */
const STRING_TYPES = new Set(['text', 'character varying', 'character', 'name', 'bpchar', 'varchar']);

/** The cast a placeholder needs, if any, given its value and (when known) its column's type. */
function castFor(kind: Kind, value: unknown, columnType: string | undefined): string | undefined {
  switch (kind) {
    case 'string':
    case 'null':
      return columnType && !STRING_TYPES.has(columnType) ? columnType : undefined;
    case 'json':
      return columnType ? (STRING_TYPES.has(columnType) ? undefined : columnType) : 'jsonb';
    case 'date':
      return columnType ?? 'timestamptz';
    case 'array':
      return columnType ?? arrayType(value as unknown[]);
    case 'special-number':
      return 'double precision';
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? undefined : 'bigint';
    default:
      return undefined;
  }
}
const needsColumnType = (kind: Kind) => kind === 'string' || kind === 'null' || kind === 'json' || kind === 'date' || kind === 'array';

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

type Catalog = Map<string, Map<string, string>>; // "schema.table" -> column -> type

const CATALOG_SQL = `SELECT n.nspname AS table_schema, c.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, NULL) AS column_type
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

const TRANSACTION_CONTROL = /^(begin|start|commit|end|rollback|abort|savepoint|release|prepare\s+transaction)\b/i;
const ANALYSIS_CACHE_SIZE = 500;
const CATALOG_RETRY_MS = 60_000;

export class DataApiDatabase implements Database {
  private readonly client: RDSDataClient;
  private readonly ownsClient: boolean;
  private readonly target: { resourceArn: string; secretArn: string; database: string };
  private readonly analyses = new Map<string, Analysis>();
  private catalog?: Promise<Catalog>;
  /** Tables/columns missing from the catalog that made it read again, and when. */
  private readonly catalogMisses = new Map<string, number>();

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
    if (options.columnTypes) {
      const catalog: Catalog = new Map();
      for (const [table, columns] of Object.entries(options.columnTypes)) catalog.set(table, new Map(Object.entries(columns)));
      this.catalog = Promise.resolve(catalog);
    }
  }

  query<Row = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    return this.run<Row>(text, params, undefined);
  }

  async exec(script: string): Promise<void> {
    const statements = this.scriptStatements(script);
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
          for (const s of this.scriptStatements(script)) await this.execute(s, [], transactionId);
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

  private scriptStatements(script: string): string[] {
    const statements = splitStatements(script);
    for (const s of statements) {
      if (TRANSACTION_CONTROL.test(s.replace(/^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, ''))) {
        throw new Error(`DataApiDatabase runs transactions with transaction(), not "${s.slice(0, 40)}"`);
      }
    }
    return statements;
  }

  private analysis(text: string): Analysis {
    let a = this.analyses.get(text);
    if (!a) {
      a = analyse(text);
      if (this.analyses.size >= ANALYSIS_CACHE_SIZE) this.analyses.delete(this.analyses.keys().next().value!);
      this.analyses.set(text, a);
    }
    return a;
  }

  /** One statement with `$n` parameters, in the transaction if one is given. */
  private async run<Row>(text: string, params: readonly unknown[], transactionId: string | undefined): Promise<QueryResult<Row>> {
    const a = this.analysis(text);
    if (a.maxParam !== params.length) {
      throw new Error(`The statement uses ${a.maxParam} parameter(s) but ${params.length} were supplied`);
    }
    const kinds = params.map(kindOf);
    const contexts = a.placeholders.filter((p) => p.context && needsColumnType(kinds[p.param - 1]!)).map((p) => p.context!);
    let catalog = contexts.length > 0 ? await this.loadCatalog() : undefined;
    if (catalog) {
      // A table or column the catalog does not know (created after it was read): read it again,
      // once per missing name a minute.
      const miss = contexts.map((c) => missingFrom(catalog!, c)).find((m) => m !== undefined);
      const last = miss === undefined ? undefined : this.catalogMisses.get(miss);
      if (miss !== undefined && (last === undefined || Date.now() - last > CATALOG_RETRY_MS)) {
        this.catalogMisses.set(miss, Date.now());
        this.catalog = undefined;
        catalog = await this.loadCatalog();
      }
    }

    // Rebuild the text: each $n becomes :pn, cast where the value's type needs it.
    let sql = '';
    let last = 0;
    const byToken = new Map(a.placeholders.map((p) => [p.token, p]));
    a.tokens.forEach((t, index) => {
      const p = byToken.get(index);
      if (!p) return;
      sql += text.slice(last, t.start);
      const kind = kinds[p.param - 1]!;
      const columnType = p.context && catalog ? columnTypeOf(catalog, p.context) : undefined;
      const cast = p.explicitCast ? undefined : castFor(kind, params[p.param - 1], columnType);
      sql += cast ? `CAST(:p${p.param} AS ${cast})` : `:p${p.param}`;
      last = t.end;
    });
    sql += text.slice(last);
    // A trailing semicolon is not part of the statement.
    sql = sql.replace(/;\s*$/, '');

    const used = new Set(a.placeholders.map((p) => p.param));
    const parameters: SqlParameter[] = [...used]
      .sort((x, y) => x - y)
      .map((n) => ({ name: `p${n}`, value: fieldOf(params[n - 1], kinds[n - 1]!) }));
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

  private loadCatalog(): Promise<Catalog> {
    if (!this.catalog) {
      const loading = this.execute<{ table_schema: string; table_name: string; column_name: string; column_type: string }>(CATALOG_SQL, [], undefined).then(
        ({ rows }) => {
          const catalog: Catalog = new Map();
          for (const r of rows) {
            const key = `${r.table_schema}.${r.table_name}`;
            if (!catalog.has(key)) catalog.set(key, new Map());
            catalog.get(key)!.set(r.column_name, r.column_type);
          }
          return catalog;
        },
      );
      this.catalog = loading;
      // A failed read is not kept: the next statement tries again.
      loading.catch(() => {
        if (this.catalog === loading) this.catalog = undefined;
      });
    }
    return this.catalog;
  }
}

/** A schema-qualified table, or a column of one, that the catalog lacks. */
function missingFrom(catalog: Catalog, context: ColumnContext): string | undefined {
  for (const table of context.tables) {
    if (!table.schema) continue; // unqualified: a CTE or subquery name as likely as a table
    const key = `${table.schema}.${table.name}`;
    const columns = catalog.get(key);
    if (!columns) return key;
    if (context.tables.length === 1 && !columns.has(context.column)) return `${key}.${context.column}`;
  }
  return undefined;
}

/** The column's type when the context names it unambiguously. */
function columnTypeOf(catalog: Catalog, context: ColumnContext): string | undefined {
  const types = new Set<string>();
  for (const table of context.tables) {
    const keys = table.schema ? [`${table.schema}.${table.name}`] : [...catalog.keys()].filter((k) => k.slice(k.indexOf('.') + 1) === table.name);
    // An unqualified table name that exists in several schemas depends on search_path: unknown.
    if (!table.schema && keys.length > 1) return undefined;
    for (const key of keys) {
      const type = catalog.get(key)?.get(context.column);
      if (type) types.add(type);
    }
  }
  return types.size === 1 ? [...types][0] : undefined;
}
