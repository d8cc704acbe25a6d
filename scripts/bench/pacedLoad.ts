import { Agent, request } from 'node:http';
import { cpuShareSince, cpuSnapshot } from './cpu.js';
import { percentiles, type KindResult, type LoadRequest, type LoadResult } from './load.js';

/**
 * Latency at a given load: `connections` clients, each on its own keep-alive connection, send
 * requests at a fixed total rate (client k sends requests k, k + connections, ...; evenly
 * staggered), whatever the server's pace, the way independent users arrive.
 *
 * autocannon keeps every connection busy back to back, so at a fixed number of connections it
 * measures a saturated server, whose latency is queueing (about connections ÷ throughput). Its
 * rate option sends each second's quota in one burst at the start of the second. Neither says
 * how long a request takes when the server is not overloaded, so this driver paces requests
 * evenly (like wrk2) and times each from when it was *due*: if a client's previous request is
 * still running, the wait for its connection counts (no coordinated omission).
 */
export async function runPacedLoad(opts: {
  url: string;
  connections: number;
  /** Requests per second offered. */
  rate: number;
  seconds: number;
  pick: (i: number) => LoadRequest;
  serverPid?: number;
}): Promise<LoadResult & { offeredRate: number }> {
  const target = new URL(opts.url);
  const agents = Array.from({ length: opts.connections }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const total = Math.max(1, Math.round(opts.rate * opts.seconds));
  const intervalMs = 1000 / opts.rate;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const errorSamples = new Set<string>();
  const kinds = new Map<string, { latencies: number[]; non2xx: number }>();
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let finished = 0;
  let lastResponseAt = 0;

  const cpuStart = cpuSnapshot(opts.serverPid);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const send = (i: number, dueAt: number) => {
      const r = opts.pick(i);
      const done = () => {
        lastResponseAt = performance.now();
        if (++finished === total) resolve();
      };
      const req = request(
        { host: target.hostname, port: target.port, method: r.method, path: r.path, headers: r.headers, agent: agents[i % agents.length], timeout: 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const latency = performance.now() - dueAt;
            const ok = status >= 200 && status <= 299;
            latencies.push(latency);
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            if (r.kind !== undefined) {
              let k = kinds.get(r.kind);
              if (!k) kinds.set(r.kind, (k = { latencies: [], non2xx: 0 }));
              k.latencies.push(latency);
              if (!ok) k.non2xx++;
            }
            if (!ok) {
              non2xx++;
              if (errorSamples.size < 5) errorSamples.add(`${r.kind ? `${r.kind} ` : ''}${status} ${Buffer.concat(chunks).toString().slice(0, 200)}`);
            }
            done();
          });
        },
      );
      req.on('timeout', () => {
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => {
        errors++;
        done();
      });
      req.end(r.body);
    };
    // A timer per millisecond would drift; instead each tick sends everything that has come due.
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + next * intervalMs <= now) {
        send(next, t0 + next * intervalMs);
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, t0 + next * intervalMs - performance.now()));
    };
    tick();
  });
  for (const a of agents) a.destroy();

  const cpu = cpuShareSince(cpuStart, opts.serverPid, latencies.length);
  const durationSeconds = (lastResponseAt - t0) / 1000;
  const byKind: Record<string, KindResult> = {};
  for (const [kind, k] of kinds) byKind[kind] = { requests: k.latencies.length, non2xx: k.non2xx, latencyMs: percentiles(k.latencies) };
  return {
    connections: opts.connections,
    offeredRate: opts.rate,
    requests: latencies.length,
    non2xx,
    errors,
    timeouts,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    throughput: Math.round((latencies.length / durationSeconds) * 10) / 10,
    latencyMs: percentiles(latencies),
    statusCodes,
    ...(kinds.size ? { byKind } : {}),
    ...(errorSamples.size ? { errorSamples: [...errorSamples] } : {}),
    ...(cpu ? { cpu } : {}),
  };
}
