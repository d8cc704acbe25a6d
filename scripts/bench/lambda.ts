import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { EmbeddedDynamo } from '../local/EmbeddedDynamo.js';
import { RouteMatcher } from '../local/routeMatcher.js';
import { createScratchDatabase } from '../local/scratchDatabase.js';
import type { HarnessJob, HarnessRequest, HarnessResult } from './lambdaHarness.js';
import { percentiles, type Percentiles } from './load.js';
import { SEARCH_QUERIES, seededName, seedPackages } from './seedPackages.js';
import { startServerProcess } from './serverProcess.js';
import { bundleDefines } from '../../infra/bundling.js';
import { routes, type RouteDefinition } from '../../shared/routes.js';
import { packageArchive } from './archives.js';

// `npm run bench -- lambda`: each main function run the way Lambda runs it. The function is
// bundled with esbuild as the CDK stack bundles it (infra/bundling.ts: ESM, minified, external
// source maps, argon2 left external; NODE_OPTIONS=--enable-source-maps as the stack sets it),
// then every "container" is a fresh node process that imports the bundle (module
// initialisation), invokes it once (cold: builds the store clients) and then invokes it
// sequentially with API Gateway v2 events, one request at a time.
//
// Stores: the machine's PostgreSQL (a scratch database, migrated and seeded through the local
// server, which is then stopped), dynalite in this process (stands in for DynamoDB), blobs on disk.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'bench lambda password 1';

export interface LambdaFunctionResult {
  handler: string;
  route: string;
  /** The function module and the chunks it imports, minified, without source maps. */
  bundleKiB: number;
  processes: number;
  invocationsPerProcess: number;
  /** Medians over the fresh processes. */
  nodeStartMs: number;
  importMs: number;
  firstInvokeMs: number;
  /** importMs + firstInvokeMs (the medians): what a cold start adds, roughly. */
  coldMs: number;
  /** Every cold start measured, for the noise. */
  cold: Array<{ importMs: number; firstInvokeMs: number }>;
  warmMs: Percentiles & { mean: number };
  invocations: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  errorSamples?: string[];
  rssMb: number;
}

export interface LambdaReport {
  node: string;
  note: string;
  functions: LambdaFunctionResult[];
  /** Functions that could not be bundled or run. */
  failures?: Array<{ handler: string; error: string }>;
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : 0;
};

/** The bytes an entry loads: itself and every chunk it imports statically, transitively. */
function loadedBytes(meta: Metafile, entryOut: string): number {
  const seen = new Set<string>();
  const visit = (out: string) => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const i of meta.outputs[out]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entryOut);
  return [...seen].reduce((sum, o) => sum + (meta.outputs[o]?.bytes ?? 0), 0);
}

/**
 * Bundles functions/<handler>.ts with the bench's dependency provider (shared chunks), leaving out
 * what the route does not use and aliasing the credential chain, as the stack's bundling does.
 */
async function bundleFunction(handler: string, outdir: string): Promise<{ functionFile: string; depsFile: string; bytes: number }> {
  const route = (routes as readonly RouteDefinition[]).find((r) => r.handler === handler);
  const result = await build({
    define: bundleDefines(route?.uses ?? [], 'proxy'),
    alias: { '@aws-sdk/credential-provider-node': './shared/runtime/lambdaCredentials.ts' },
    absWorkingDir: ROOT,
    entryPoints: { index: join(ROOT, 'functions', `${handler}.ts`), 'bench-deps': join(ROOT, 'scripts/bench/lambdaDeps.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as __rfhCreateRequire } from 'node:module'; const require = __rfhCreateRequire(import.meta.url);" },
    external: ['pg-native', '@node-rs/argon2'],
    legalComments: 'none',
    treeShaking: true,
    metafile: true,
    logLevel: 'warning',
  });
  const indexOut = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint?.endsWith(`functions/${handler}.ts`))?.[0];
  if (!indexOut) throw new Error(`esbuild emitted no entry for functions/${handler}.ts`);
  return { functionFile: join(outdir, 'index.mjs'), depsFile: join(outdir, 'bench-deps.mjs'), bytes: loadedBytes(result.metafile, indexOut) };
}

async function bundleHarness(outdir: string): Promise<string> {
  const file = join(outdir, 'harness.mjs');
  await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'scripts/bench/lambdaHarness.ts')],
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    logLevel: 'warning',
  });
  return file;
}

function runHarness(harness: string, jobFile: string, env: NodeJS.ProcessEnv): Promise<HarnessResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [harness, jobFile], { env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`lambda harness failed: ${err.message}\n${stderr}\n${stdout.slice(-2000)}`));
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last) as HarnessResult);
      } catch {
        reject(new Error(`lambda harness printed no result:\n${stdout.slice(-2000)}\n${stderr}`));
      }
    });
  });
}

async function post(url: string, path: string, body: unknown): Promise<{ token?: string }> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { token?: string };
}

export async function runLambdaView(opts: {
  pgBase: string;
  packages: number;
  /** Fresh processes (cold starts) per function. */
  processes: number;
  /** Warm invocations per process. */
  invocations: number;
  log?: (line: string) => void;
}): Promise<LambdaReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const work = await mkdtemp(join(tmpdir(), 'rfh-lambda-'));
  const dynamo = await EmbeddedDynamo.start();
  const scratch = (await createScratchDatabase(opts.pgBase))!;
  try {
    const dataDir = join(work, 'data');
    const jwtSecret = randomBytes(48).toString('base64url');
    const storeEnv = {
      DATABASE_URL: scratch.url,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      SESSIONS_TABLE: 'rfh-sessions',
      JWT_SECRET: jwtSecret,
      RFH_RATE_LIMIT: 'off',
      // The login throttle keeps its defaults: the login function runs as deployed.
    };

    // Migrations, root, the sessions table, users, a token and the packages, through the server.
    const server = await startServerProcess({ ...storeEnv, RFH_DATA_DIR: dataDir, RFH_ROOT_PASSWORD: 'bench root password' });
    const users = ['lambda-a', 'lambda-b', 'lambda-c'];
    let token: string;
    try {
      for (const u of users) await post(server.url, '/v1/auth/register', { username: u, email: `${u}@example.com`, password: PASSWORD });
      token = (await post(server.url, '/v1/auth/login', { username: users[0], password: PASSWORD })).token!;
    } finally {
      await server.stop();
    }
    await seedPackages(scratch.url, opts.packages);
    // One archive on disk under a seeded version's hash, for the download function.
    const blobSha = [seededName(0) + '1.1.0', '1.1.0' + seededName(0)].map((s) => createHash('md5').update(s).digest('hex')).join('');
    await mkdir(join(dataDir, 'blobs', blobSha.slice(0, 2)), { recursive: true });
    await writeFile(join(dataDir, 'blobs', blobSha.slice(0, 2), `${blobSha}.tgz`), await packageArchive(seededName(0), '1.1.0'));

    // Requests per function, routed by the local server's matcher (same route, same params).
    const matcher = new RouteMatcher();
    const request = (method: string, target: string, extra: Partial<HarnessRequest> = {}) => {
      const [path, query] = target.split('?') as [string, string | undefined];
      const m = matcher.match(method, path);
      if (m.kind !== 'route') throw new Error(`no route for ${method} ${path}`);
      return { route: m.route, request: { method, path, query, pathParameters: m.params, ...extra } };
    };
    const spread = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
    const cases: Array<{ handler: string; requests: Array<ReturnType<typeof request>> }> = [
      { handler: 'health', requests: [request('GET', '/v1/health')] },
      {
        handler: 'auth/login',
        requests: users.map((u) =>
          request('POST', '/v1/auth/login', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: PASSWORD }) }),
        ),
      },
      { handler: 'auth/profile', requests: [request('GET', '/v1/auth/profile', { headers: { authorization: `Bearer ${token}` } })] },
      { handler: 'packages/get', requests: spread(50, (i) => `/v1/packages/${seededName((i * 7919) % opts.packages)}`).map((p) => request('GET', p)) },
      {
        handler: 'packages/versions/get',
        requests: spread(50, (i) => `/v1/packages/${seededName((i * 104729) % opts.packages)}/versions/1.1.0`).map((p) => request('GET', p)),
      },
      { handler: 'packages/search', requests: SEARCH_QUERIES.map((q) => request('GET', `/v1/packages?q=${encodeURIComponent(q)}`)) },
      { handler: 'blobs/get', requests: [request('GET', `/v1/blobs/${blobSha}`)] },
      // The web catalogue's package page: the package with the archive written above, its files rendered.
      { handler: 'pages/package', requests: [request('GET', `/packages/${seededName(0)}`)] },
    ];

    const bundles = join(work, 'bundles');
    await mkdir(bundles, { recursive: true });
    // The bundles resolve their one external native package (argon2) from the project's modules.
    await symlink(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
    const harness = await bundleHarness(bundles);
    const childEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      NODE_OPTIONS: '--enable-source-maps',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_REGION: 'local',
      ...storeEnv,
      RFH_BENCH_BLOBS_DIR: join(dataDir, 'blobs'),
    };

    const functions: LambdaFunctionResult[] = [];
    const failures: Array<{ handler: string; error: string }> = [];
    for (const c of cases) {
      try {
        const outdir = join(bundles, c.handler.replaceAll('/', '-'));
        const { functionFile, depsFile, bytes } = await bundleFunction(c.handler, outdir);
        const route = c.requests[0]!.route;
        const job: HarnessJob = { functionFile, depsFile, route, requests: c.requests.map((r) => r.request), invocations: opts.invocations };
        const jobFile = join(outdir, 'job.json');
        await writeFile(jobFile, JSON.stringify(job));
        const runs: HarnessResult[] = [];
        for (let p = 0; p < opts.processes; p++) runs.push(await runHarness(harness, jobFile, childEnv));
        const statusCodes: Record<string, number> = {};
        for (const r of runs) for (const [s, n] of Object.entries(r.statusCodes)) statusCodes[s] = (statusCodes[s] ?? 0) + n;
        const warm = runs.flatMap((r) => r.warmMs);
        const mean = warm.reduce((a, b) => a + b, 0) / Math.max(1, warm.length);
        const p = percentiles(warm);
        const result: LambdaFunctionResult = {
          handler: c.handler,
          route: `${route.method} ${route.path}`,
          bundleKiB: Math.round(bytes / 1024),
          processes: runs.length,
          invocationsPerProcess: opts.invocations,
          nodeStartMs: round(median(runs.map((r) => r.nodeStartMs)), 1),
          importMs: round(median(runs.map((r) => r.importMs)), 1),
          firstInvokeMs: round(median(runs.map((r) => r.firstInvokeMs)), 1),
          coldMs: round(median(runs.map((r) => r.importMs)) + median(runs.map((r) => r.firstInvokeMs)), 1),
          cold: runs.map((r) => ({ importMs: round(r.importMs, 1), firstInvokeMs: round(r.firstInvokeMs, 1) })),
          warmMs: { p50: round(p.p50), p95: round(p.p95), p99: round(p.p99), max: round(p.max), mean: round(mean) },
          invocations: runs.reduce((n, r) => n + 1 + r.warmMs.length, 0),
          non2xx: Object.entries(statusCodes).reduce((n, [s, k]) => n + (Number(s) >= 200 && Number(s) < 300 ? 0 : k), 0),
          statusCodes,
          ...(runs.some((r) => r.errorSamples.length) ? { errorSamples: [...new Set(runs.flatMap((r) => r.errorSamples))].slice(0, 5) } : {}),
          rssMb: median(runs.map((r) => r.rssMb)),
        };
        functions.push(result);
        log(
          `lambda ${c.handler}: import ${result.importMs} ms, first invocation ${result.firstInvokeMs} ms, ` +
            `warm p50 ${result.warmMs.p50} / p95 ${result.warmMs.p95} ms over ${warm.length}, non-2xx ${result.non2xx}`,
        );
      } catch (err) {
        const error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
        failures.push({ handler: c.handler, error });
        log(`lambda ${c.handler} failed: ${error}`);
      }
    }
    return {
      node: `${process.version} ${process.arch}`,
      note:
        `esbuild bundles as infra/bundling.ts makes them (ESM, minified, linked source maps, --enable-source-maps), ` +
        `${opts.processes} fresh processes per function, ${opts.invocations} sequential warm invocations each; ` +
        `PostgreSQL on this machine (pool of 2), dynalite for DynamoDB, blobs on disk. Lambda itself runs nodejs22.x on arm64.`,
      functions,
      ...(failures.length ? { failures } : {}),
    };
  } finally {
    await scratch.drop().catch(() => {});
    await dynamo.stop().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }
}
