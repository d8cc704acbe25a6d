import type { PGlite, Transaction } from '@electric-sql/pglite';
import { createPglite } from './blankPgliteCluster.js';
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

  /** dataDir undefined: in memory. A new database starts from the blank cluster (blankPgliteCluster.ts). */
  static async open(dataDir?: string): Promise<PgliteDatabase> {
    return new PgliteDatabase(await createPglite(dataDir));
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
