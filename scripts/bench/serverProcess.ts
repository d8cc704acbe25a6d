import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm start` in its own process (as in production, the load generator must not share the
 * server's event loop or cores' accounting), on a free port, with the given environment.
 */
export async function startServerProcess(env: NodeJS.ProcessEnv, checkout = process.env.BENCH_SERVER_ROOT ?? root): Promise<ServerProcess> {
  // BENCH_SERVER_CPU_PROF=<dir>: a V8 CPU profile of the server, written there when it stops.
  const profile = process.env.BENCH_SERVER_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVER_CPU_PROF] : [];
  // `checkout`, by default BENCH_SERVER_ROOT, else this one: the server of another checkout (its
  // own `npm ci` done) driven by this bench, a before/after comparison with one load generator and
  // one way of measuring.
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', 'scripts/server.ts'], {
    cwd: checkout,
    // argon2 hashes run on libuv's pool: as many threads as cores, so hashes do not fight each
    // other and the event loop for the same cores (measured: ~15% more logins per second here).
    env: { ...process.env, PORT: '0', UV_THREADPOOL_SIZE: String(availableParallelism()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep only the tail: the server logs a line per request, and a bench sends hundreds of
  // thousands. The chunks are kept as they come and joined only when read: rebuilding a 64 KiB
  // string on every chunk cost the load generator, which shares the machine's two cores with the
  // server, as much CPU as the server spent answering.
  const TAIL_BYTES = 65_536;
  const tail: Buffer[] = [];
  let tailBytes = 0;
  const keep = (d: Buffer) => {
    tail.push(d);
    tailBytes += d.length;
    while (tail.length > 1 && tailBytes - tail[0]!.length >= TAIL_BYTES) tailBytes -= tail.shift()!.length;
  };
  const output = () => Buffer.concat(tail).toString().slice(-TAIL_BYTES);
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output()}`)), 120_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(output());
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${output()}`)));
  });
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`server process exited unexpectedly (${code ?? signal}); its last output:\n${output().slice(-4000)}`);
  });
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}
