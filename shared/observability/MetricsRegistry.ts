/** A bounded sample of recent values: percentiles without unbounded memory. */
class Reservoir {
  private readonly values: number[] = [];
  private next = 0;
  count = 0;

  constructor(private readonly size = 4096) {}

  add(v: number): void {
    this.count++;
    if (this.values.length < this.size) this.values.push(v);
    else {
      this.values[this.next] = v;
      this.next = (this.next + 1) % this.size;
    }
  }

  percentiles() {
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : 0);
    const round = (n: number) => Math.round(n * 100) / 100;
    return { p50: round(at(50)), p95: round(at(95)), p99: round(at(99)) };
  }
}

interface RouteStats {
  latency: Reservoir;
  byClass: Record<'2xx' | '3xx' | '4xx' | '5xx', number>;
}

interface StoreStats {
  latency: Reservoir;
  failures: number;
}

/**
 * Per-process request and store-call figures for GET /v1/metrics (per container in AWS, where
 * CloudWatch has the fleet-wide view from embedded metrics).
 */
export class MetricsRegistry {
  private readonly routes = new Map<string, RouteStats>();
  private readonly stores = new Map<string, StoreStats>();
  readonly startedAt = Date.now();

  recordRequest(route: string, status: number, ms: number): void {
    let r = this.routes.get(route);
    if (!r) this.routes.set(route, (r = { latency: new Reservoir(), byClass: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 } }));
    r.latency.add(ms);
    const cls = `${Math.min(5, Math.max(2, Math.floor(status / 100)))}xx` as keyof RouteStats['byClass'];
    r.byClass[cls]++;
  }

  recordStoreCall(store: string, ms: number, failed: boolean): void {
    let s = this.stores.get(store);
    if (!s) this.stores.set(store, (s = { latency: new Reservoir(), failures: 0 }));
    s.latency.add(ms);
    if (failed) s.failures++;
  }

  snapshot() {
    return {
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      routes: Object.fromEntries(
        [...this.routes].map(([k, r]) => [k, { count: r.latency.count, ...r.byClass, latencyMs: r.latency.percentiles() }]),
      ),
      storeCalls: Object.fromEntries(
        [...this.stores].map(([k, s]) => [k, { count: s.latency.count, failures: s.failures, latencyMs: s.latency.percentiles() }]),
      ),
    };
  }
}

/** The process's registry. */
export const metricsRegistry = new MetricsRegistry();
