import autocannon from 'autocannon';
import { cpuShareSince, cpuSnapshot, type CpuShare } from './cpu.js';

export interface LoadRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  /** A string, or bytes (e.g. a multipart body carrying a .tgz). */
  body?: string | Buffer;
  /** A label (e.g. "search", "login") to break a mixed workload's latencies down by kind. */
  kind?: string;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface KindResult {
  requests: number;
  non2xx: number;
  latencyMs: Percentiles;
}

export interface LoadResult {
  connections: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  throughput: number;
  latencyMs: Percentiles;
  statusCodes: Record<string, number>;
  /** Only when requests carry a `kind`: the same figures per kind. */
  byKind?: Record<string, KindResult>;
  /** A few distinct non-2xx answers (status and body start), to tell what went wrong. */
  errorSamples?: string[];
  /** Who used the CPU meanwhile (Linux, with the server's pid). */
  cpu?: CpuShare;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 100) / 100;
}

/** p50/p95/p99/max of a list of latencies (sorts it in place). */
export function percentiles(values: number[]): Percentiles {
  values.sort((a, b) => a - b);
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max: percentile(values, 100) };
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
  /** The server process, to report its CPU use. */
  serverPid?: number;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const kinds = new Map<string, { latencies: number[]; non2xx: number }>();
  // autocannon calls a request's onResponse and then, synchronously, emits 'response' with the
  // latency: the kind seen in onResponse belongs to the latency that follows. One request in
  // flight per connection (no pipelining), so the connection's context holds its kind.
  let lastKind: string | undefined;
  const errorSamples = new Set<string>();
  let n = 0;
  const cpuStart = cpuSnapshot(opts.serverPid);
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
    // autocannon notices the end of a run on its sampling tick: 100 ms instead of 1 s.
    sampleInt: 100,
    requests: [
      {
        setupRequest: (req: autocannon.Request, context: Record<string, unknown>) => {
          const r = opts.pick(n++);
          context.kind = r.kind;
          // autocannon sends Buffer bodies as they are (its types only mention strings).
          return { ...req, method: r.method, path: r.path, headers: { ...r.headers }, body: r.body };
        },
        onResponse: (status: number, body: string, context: Record<string, unknown>) => {
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          lastKind = context.kind as string | undefined;
          if (lastKind !== undefined) {
            let k = kinds.get(lastKind);
            if (!k) kinds.set(lastKind, (k = { latencies: [], non2xx: 0 }));
            if (status < 200 || status > 299) k.non2xx++;
          }
          if ((status < 200 || status > 299) && errorSamples.size < 5) {
            errorSamples.add(`${lastKind ? `${lastKind} ` : ''}${status} ${body.slice(0, 200)}`);
          }
          opts.onBody?.(status, body);
        },
      },
    ],
  } as autocannon.Options, (err, r) => (err ? fail(err) : finish(r)));
  // autocannon reports the end of a run only on its next sampling tick: the run's duration is
  // taken from the last response instead (with the default 1 s tick, throughput would otherwise
  // be requests / whole seconds).
  let lastResponseAt = started;
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    lastResponseAt = process.hrtime.bigint();
    latencies.push(responseTime);
    if (lastKind !== undefined) kinds.get(lastKind)?.latencies.push(responseTime);
    lastKind = undefined;
  });
  const result = await done;
  const cpu = cpuShareSince(cpuStart, opts.serverPid, latencies.length);
  const durationSeconds = Number(lastResponseAt - started) / 1e9;
  const byKind = kinds.size
    ? Object.fromEntries(
        [...kinds].map(([kind, k]) => [kind, { requests: k.latencies.length, non2xx: k.non2xx, latencyMs: percentiles(k.latencies) }]),
      )
    : undefined;
  return {
    connections: opts.connections,
    requests: latencies.length,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    throughput: Math.round((latencies.length / durationSeconds) * 10) / 10,
    latencyMs: percentiles(latencies),
    statusCodes,
    ...(byKind ? { byKind } : {}),
    ...(errorSamples.size ? { errorSamples: [...errorSamples] } : {}),
    ...(cpu ? { cpu } : {}),
  };
}
