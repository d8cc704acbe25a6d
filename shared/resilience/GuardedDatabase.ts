import { StoreUnavailableError } from '../errors.js';
import type { Database, QueryResult, SqlClient } from '../ports/Database.js';
import type { StoreGuard } from './StoreGuard.js';

// Failures after which repeating the call is certainly safe: the connection was never made, or
// PostgreSQL rolled the transaction back (serialization failure, deadlock) or refused to start it.
const SAFE_TO_REPEAT_CODES = new Set(['ECONNREFUSED', '40001', '40P01', '53300', '57P03', '08001', '08004']);
const SAFE_TO_REPEAT_MESSAGES = /timeout exceeded when trying to connect|connect ECONNREFUSED/i;

export function isSafeToRepeat(err: unknown): boolean {
  if (!(err instanceof StoreUnavailableError)) return false;
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === 'string' && SAFE_TO_REPEAT_CODES.has(cause.code)) return true;
  return typeof cause?.message === 'string' && SAFE_TO_REPEAT_MESSAGES.test(cause.message);
}

export const isStoreFailure = (err: unknown) => err instanceof StoreUnavailableError;

/**
 * A Database whose every statement and transaction goes through the PostgreSQL StoreGuard.
 * A transaction is repeated as a whole, never a statement inside one.
 */
export class GuardedDatabase implements Database {
  constructor(
    private readonly inner: Database,
    private readonly guard: StoreGuard,
  ) {}

  query<Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.guard.run(() => this.inner.query<Row>(text, params));
  }

  exec(script: string): Promise<void> {
    return this.guard.run(() => this.inner.exec(script));
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.guard.run(() => this.inner.transaction(fn));
  }

  ping(): Promise<void> {
    return this.guard.run(() => this.inner.ping());
  }

  poolStats() {
    return this.inner.poolStats?.() ?? { total: 1, idle: 0, waiting: 0 };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
