import { readFileSync } from 'node:fs';
import pg from 'pg';

// The CPU time PostgreSQL spends for one database: the sum over the backends connected to it (the
// server's pool), read from /proc like the server's own CPU (scripts/bench/cpu.ts). Other
// databases' backends, such as other test runs on a shared server, are not counted. Linux with
// PostgreSQL on this machine only; elsewhere nothing is reported.

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function backendTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch {
    return 0; // ended, or not on this machine
  }
}

async function backendsOf(databaseUrl: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return new Map(rows.map((r) => [r.pid, backendTicks(r.pid)]));
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` and answers, with its result, the CPU milliseconds the database's backends used
 * meanwhile (undefined where /proc is not there). A backend that connected during the work counts
 * from zero.
 */
export async function withDatabaseCpu<T>(databaseUrl: string, work: () => Promise<T>): Promise<{ result: T; databaseCpuMs?: number }> {
  if (process.platform !== 'linux') return { result: await work() };
  const before = await backendsOf(databaseUrl);
  const result = await work();
  const after = await backendsOf(databaseUrl);
  let ticks = 0;
  for (const [pid, now] of after) ticks += Math.max(0, now - (before.get(pid) ?? 0));
  return { result, databaseCpuMs: (ticks / TICKS_PER_SECOND) * 1000 };
}
