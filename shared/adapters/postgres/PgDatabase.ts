import pg from 'pg';
import type { Database, QueryResult, SqlClient } from '../../ports/Database.js';
import { PipelinedConnections } from './PipelinedConnections.js';
import { connectionLost, toStoreError } from './storeErrors.js';
import { PG_TYPES } from './typeParsers.js';

export interface PgDatabaseOptions {
  /** Either a URL, or explicit settings (e.g. RDS Proxy with an IAM-token password). */
  connectionString?: string;
  connection?: Pick<pg.PoolConfig, 'host' | 'port' | 'user' | 'database' | 'password' | 'ssl'>;
  /** One small pool per process (per Lambda container behind RDS Proxy). */
  maxConnections?: number;
  /** PostgreSQL cancels a statement after this long (server side). Default 3000. */
  statementTimeoutMs?: number;
  /**
   * Waiting for a pooled connection, or opening one (TCP, TLS, authentication). Default 2000.
   * A failed connect is safe to repeat, so the guard may try twice.
   */
  connectTimeoutMs?: number;
  /**
   * Named (prepared) statements: each connection has PostgreSQL parse each statement once and
   * keep it, and after a few runs reuse its plan, instead of parsing and planning it on every
   * call (a package read: 0.3 ms of the database's CPU instead of 0.6). Only on a direct
   * connection: behind RDS Proxy a named statement pins the client's connection to one database
   * connection for good, and a transaction-mode pooler may send the next call to a connection
   * that never saw it. Default off.
   */
  namedStatements?: boolean;
  /**
   * Single statements outside a transaction go over this many long-lived connections, pipelined
   * (PipelinedConnections), besides the pool that transactions use: on a busy local server about
   * half the CPU per read. Only on a direct connection, like named statements: RDS Proxy and
   * transaction-mode poolers do not promise to keep a pipeline's statements on one connection.
   * Default 0: every statement takes a pooled connection.
   */
  pipelinedConnections?: number;
}

/**
 * Statements named per database: at most this many distinct texts (the code's own SQL; user text
 * is only ever a parameter). Past it, a new text runs unnamed, so nothing grows without bound on
 * either side of a connection.
 */
const MAX_NAMED_STATEMENTS = 500;

/** How long after the server's statement timeout the client gives up on an answer. */
const QUERY_TIMEOUT_MARGIN_MS = 500;

/**
 * The PostgreSQL adapter on node-postgres. No session-level SET, and unnamed statements unless
 * the connection is direct (`namedStatements`): both would pin connections behind RDS Proxy. The
 * statement timeout travels in the startup packet (`options`), which the proxy forwards without
 * pinning.
 *
 * Deadlines: a database that accepts connections but never answers must not hold a request
 * past its route's deadline (4.7 s for the shortest, 5 s routes). The server's statement timeout
 * cannot help then, so the client gives up too (`query_timeout`, just after the statement
 * timeout: 3.5 s by default), and connecting is bounded (2 s, at most twice: 4 s). A timed-out
 * connection is discarded, never reused, and a transaction on it is not rolled back over the
 * same silent connection: closing it makes PostgreSQL roll back.
 */
export class PgDatabase implements Database {
  private readonly pool: pg.Pool;
  private readonly pipelined: PipelinedConnections | undefined;
  private readonly statementNames: Map<string, string> | undefined;

  constructor(options: PgDatabaseOptions) {
    const statementTimeout = options.statementTimeoutMs ?? 3000;
    // Every connection, pooled or pipelined, is opened and bounded alike.
    const connection: pg.ClientConfig = {
      ...(options.connection ?? { connectionString: options.connectionString }),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + QUERY_TIMEOUT_MARGIN_MS,
      types: PG_TYPES,
    };
    this.pool = new pg.Pool({ ...connection, max: options.maxConnections ?? 10, idleTimeoutMillis: 30_000 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => {});
    this.statementNames = options.namedStatements ? new Map() : undefined;
    this.pipelined = options.pipelinedConnections ? new PipelinedConnections(connection, options.pipelinedConnections) : undefined;
  }

  /** The statement as node-postgres takes it: named when that is on and the text has or gets a name. */
  private statement(text: string, params: readonly unknown[]): pg.QueryConfig {
    const names = this.statementNames;
    let name = names?.get(text);
    if (names && name === undefined && names.size < MAX_NAMED_STATEMENTS) names.set(text, (name = `rfh_${names.size}`));
    return { text, values: params as unknown[], ...(name === undefined ? {} : { name }) };
  }

  async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    try {
      const statement = this.statement(text, params);
      const result = this.pipelined ? await this.pipelined.query(statement) : await this.pool.query(statement);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async exec(script: string): Promise<void> {
    try {
      await this.pool.query(script);
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toStoreError(err);
    }
    let broken = false;
    const statement = (text: string, params: readonly unknown[]) => this.statement(text, params);
    // A statement that timed out on the client is still pending on the connection: anything sent
    // after it (ROLLBACK too) would wait behind it for another full timeout.
    const fail = (err: unknown) => {
      if (connectionLost(err)) broken = true;
      return toStoreError(err);
    };
    const tx: SqlClient = {
      async query<Row>(text: string, params: readonly unknown[] = []) {
        try {
          const result = await client.query(statement(text, params));
          return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
        } catch (err) {
          throw fail(err);
        }
      },
      async exec(script: string) {
        try {
          await client.query(script);
        } catch (err) {
          throw fail(err);
        }
      },
    };
    // A checked-out client whose connection dies between statements emits 'error' with no
    // query to deliver it to; unhandled, that would crash the process. Note it and discard the
    // client on release; the statement in progress (if any) fails on its own.
    const onConnectionError = () => {
      broken = true;
    };
    client.on('error', onConnectionError);
    try {
      await tx.exec('BEGIN');
      const result = await fn(tx);
      await tx.exec('COMMIT');
      return result;
    } catch (err) {
      if (!broken) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      throw err;
    } finally {
      client.off('error', onConnectionError);
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  poolStats() {
    return {
      total: this.pool.totalCount,
      idle: this.pool.idleCount,
      waiting: this.pool.waitingCount,
      ...(this.pipelined ? { pipelined: this.pipelined.stats() } : {}),
    };
  }

  async close(): Promise<void> {
    await this.pipelined?.close();
    await this.pool.end();
  }
}
