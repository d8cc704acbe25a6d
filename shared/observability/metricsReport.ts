import type { Dependencies } from '../runtime/Dependencies.js';
import { metricsRegistry } from './MetricsRegistry.js';

/** What GET /v1/metrics shows: requests per route, store calls, breakers, retries, pool use. */
export function metricsReport(deps: Dependencies) {
  const snapshot = metricsRegistry.snapshot();
  const guards = Object.fromEntries(
    Object.entries(deps.guards).map(([store, g]) => [store, { circuit: g.state, ...g.stats }]),
  );
  const memory = process.memoryUsage();
  return {
    ...snapshot,
    guards,
    postgresPool: deps.db.poolStats?.() ?? null,
    process: { rssMb: Math.round(memory.rss / 1048576), heapUsedMb: Math.round(memory.heapUsed / 1048576) },
  };
}
