/** The SQL port: what repositories need from PostgreSQL, whichever driver is behind it. */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface SqlClient {
  /** One parameterised statement ($1, $2, ...). */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** A script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Database extends SqlClient {
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /** Cheap liveness probe. */
  ping(): Promise<void>;
  /** Connection pool use, where there is a pool, and the pipelined connections beside it if any. */
  poolStats?(): { total: number; idle: number; waiting: number; pipelined?: { connections: number; inFlight: number } };
  close(): Promise<void>;
}

/** SQLSTATE of a unique-constraint violation: how repositories learn about a lost race. */
export const UNIQUE_VIOLATION = '23505';

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function constraintName(err: unknown): string | undefined {
  const c = (err as { constraint?: unknown } | null)?.constraint;
  return typeof c === 'string' ? c : undefined;
}
