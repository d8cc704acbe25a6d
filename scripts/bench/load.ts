import autocannon from 'autocannon';

export interface LoadRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  throughput: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  statusCodes: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 100) / 100;
}

/**
 * Runs `amount` requests at `connections` concurrency with autocannon (keep-alive connections),
 * recording every response's latency so any percentile can be reported (autocannon's own summary
 * has p97.5 but no p95). `pick` chooses each request, e.g. to spread load over many users.
 * `onBody` sees every response body (e.g. to check tokens are distinct).
 */
export async function runLoad(opts: {
  url: string;
  connections: number;
  amount: number;
  pick: (i: number) => LoadRequest;
  onBody?: (status: number, body: string) => void;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let n = 0;
  const started = process.hrtime.bigint();
  let finish!: (r: autocannon.Result) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    amount: opts.amount,
    timeout: 30,
    requests: [
      {
        setupRequest: (req: autocannon.Request) => {
          const r = opts.pick(n++);
          return { ...req, method: r.method, path: r.path, headers: { ...r.headers }, body: r.body };
        },
        onResponse: (status: number, body: string) => {
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          opts.onBody?.(status, body);
        },
      },
    ],
  }, (err, r) => (err ? fail(err) : finish(r)));
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await done;
  const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    throughput: Math.round((latencies.length / durationSeconds) * 10) / 10,
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
    statusCodes,
  };
}
