import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Database, QueryResult, SqlClient } from '../../shared/ports/Database.js';

function client(db: PGlite | Transaction): SqlClient {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const r = await db.query<Row>(text, params as unknown[]);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(script: string): Promise<void> {
      await db.exec(script);
    },
  };
}

/**
 * Embedded PostgreSQL (PGlite, WASM) for `npm start` on a bare laptop and for tests. Local only:
 * no Lambda bundle imports this file. PGlite runs one query at a time in-process.
 */
export class PgliteDatabase implements Database {
  private constructor(private readonly db: PGlite) {}

  /** dataDir undefined: in memory. */
  static async open(dataDir?: string): Promise<PgliteDatabase> {
    if (dataDir) await mkdir(dataDir, { recursive: true });
    // pg_trgm backs package search; PGlite ships it as a loadable extension.
    return new PgliteDatabase(await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { pg_trgm } }));
  }

  query<Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return client(this.db).query<Row>(text, params);
  }

  exec(script: string): Promise<void> {
    return client(this.db).exec(script);
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(client(tx)));
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
