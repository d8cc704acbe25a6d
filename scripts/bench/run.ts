import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createScratchDatabase } from '../local/scratchDatabase.js';
import { publishRequest, ruleText } from './archives.js';
import { measureHashBound, type HashBound } from './hashBound.js';
import { runLambdaView, type LambdaReport } from './lambda.js';
import { runLoad, type LoadRequest, type LoadResult } from './load.js';
import { runPacedLoad } from './pacedLoad.js';
import { renderReport, type BenchResult, type Scenario } from './report.js';
import { runScanBench, type ScanBenchReport } from './ruleScan.js';
import { explainSearch, FILES_PER_PACKAGE, SEARCH_QUERIES, seededName, seedPackages } from './seedPackages.js';
import { withDatabaseCpu } from './databaseCpu.js';
import { CONTENT_QUERIES } from './ruleFiles.js';
import { startDynamoProcess } from './dynamoProcess.js';
import { startServerProcess } from './serverProcess.js';
import { PACKAGES, packageRead, searchOf, versionRead } from './readRequests.js';

// `npm run bench [-- <group>...]`: the local server in its own process on real PostgreSQL
// (BENCH_DATABASE_URL, else DATABASE_URL, else this machine's server), rate limits off, loaded
// over HTTP by autocannon from this process; and the Lambda view (each function in fresh
// processes, one invocation at a time). Prints a table and writes bench/results/<date>.json and
// .html. Groups: auth, packages, mixed, lambda, scan (the rule scanner's CPU, in this process; all by
// default). See docs/BENCHMARKS.md.

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const PASSWORD = 'bench password 123';
const ROOT_PASSWORD = 'bench root password';
const pgBase = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const GROUPS = ['auth', 'packages', 'mixed', 'lambda', 'scan', 'reads'] as const;
/** Run when no group is named: `reads` only when asked for (a comparison, see runHttpGroups). */
const DEFAULT_GROUPS = GROUPS.filter((g) => g !== 'reads');
type Group = (typeof GROUPS)[number];

// Sizes: the whole run stays well under 10 minutes on a 2-core machine (docs/BENCHMARKS.md).
const BLOBS = 20;
const PUBLISHES = 500;
const MIXED_REQUESTS = 20_000;
const MIXED_CONNECTIONS = 500;
const LAMBDA = { processes: 3, invocations: 200 };
// Latency at a given load: shares of the measured profile-read capacity, each for a few seconds.
const PACED_SHARES = [0.25, 0.5, 0.75];
const PACED_SECONDS = 8;
// Runs per scenario read by the performance targets (logins, profile reads): the median one is kept.
const REPEATS = 3;

/** A scenario that could not run (setup failed, server error...): reported, and the run goes on. */
const failures: Array<{ scenario: string; error: string }> = [];
async function attempt(scenario: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    failures.push({ scenario, error: error.slice(0, 500) });
    console.error(`\n!! ${scenario} failed: ${error}\n`);
  }
}

function parseGroups(args: string[]): Group[] {
  const wanted = args.flatMap((a) => a.split(',')).filter(Boolean);
  for (const g of wanted) {
    if (!(GROUPS as readonly string[]).includes(g)) {
      console.error(`unknown group "${g}": npm run bench [-- ${GROUPS.join('|')} ...]`);
      process.exit(2);
    }
  }
  return wanted.length ? GROUPS.filter((g) => wanted.includes(g)) : [...DEFAULT_GROUPS];
}

/**
 * Runs a scenario `n` times and keeps the run whose `key` is the median: the figures the
 * performance targets are read from move by 20–30% between single runs on this shared machine.
 * Every run's main figures stay in the notes (`runs`), and a non-2xx in any run is counted
 * (`non2xxAllRuns`), so the median run cannot hide one.
 */
async function medianOf<N extends Record<string, unknown>>(
  n: number,
  run: () => Promise<{ result: LoadResult; notes: N }>,
  key: (r: { result: LoadResult; notes: N }) => number,
): Promise<{ result: LoadResult; notes: N & { runs: Array<Record<string, number>>; non2xxAllRuns: number } }> {
  const runs: Array<{ result: LoadResult; notes: N }> = [];
  for (let i = 0; i < n; i++) runs.push(await run());
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    result: median.result,
    notes: {
      ...median.notes,
      runs: runs.map((r) => ({ key: key(r), throughput: r.result.throughput, p95: r.result.latencyMs.p95, non2xx: r.result.non2xx })),
      non2xxAllRuns: runs.reduce((sum, r) => sum + r.result.non2xx + r.result.errors, 0),
    },
  };
}

/**
 * A login scenario's throughput against the hash-bound limit, measured just before and just
 * after it on the idle machine (its speed drifts by 10–25% within minutes here). The faster of
 * the two is the limit: a slow spell around the run never flatters the share.
 */
function loginShares(throughput: number, before: HashBound, after: HashBound) {
  const bound = after.measuredPerSecond > before.measuredPerSecond ? after : before;
  const share = (limit: number) => Math.round((throughput / limit) * 100) / 100;
  return {
    hashMs: bound.verifyMs,
    hashBoundPerSecond: bound.measuredPerSecond,
    hashBoundIdealPerSecond: bound.idealPerSecond,
    hashBoundBeforeAfter: [before.measuredPerSecond, after.measuredPerSecond],
    shareOfHashBound: share(bound.measuredPerSecond),
    shareOfIdealHashBound: share(bound.idealPerSecond),
  };
}

async function hasTable(databaseUrl: string, table: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table])).rows[0]?.t !== null;
  } finally {
    await c.end();
  }
}

/** CPU milliseconds per request of a load: the server process's, the database backends', and both. */
function searchCpu(run: { result: LoadResult; databaseCpuMs?: number }) {
  const round = (n: number) => Math.round(n * 100) / 100;
  const server = run.result.cpu?.serverCpuMsPerRequest;
  const database = run.databaseCpuMs !== undefined && run.result.requests > 0 ? round(run.databaseCpuMs / run.result.requests) : undefined;
  return {
    serverCpuMsPerRequest: server,
    databaseCpuMsPerRequest: database,
    cpuMsPerRequest: server !== undefined && database !== undefined ? round(server + database) : undefined,
  };
}

const loginRequest = (username: string): LoadRequest => ({
  method: 'POST',
  path: '/v1/auth/login',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username, password: PASSWORD }),
});

async function json(url: string, path: string, body: unknown, token?: string): Promise<{ token: string }> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { token: string };
}

async function postgresVersion(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: pgBase });
  try {
    await c.connect();
    return (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => {});
  }
}

function gitState(): { commit: string; dirty: boolean } | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch {
    return undefined;
  }
}

/** The HTTP groups, against one server process on one scratch database. */
async function runHttpGroups(groups: Group[], cores: number): Promise<{ scenarios: Scenario[]; searchPlan?: string }> {
  const scratch = (await createScratchDatabase(pgBase))!;
  const dataDir = await mkdtemp(join(tmpdir(), 'rfh-bench-'));
  const dynamo = await startDynamoProcess();
  const server = await startServerProcess({
    DATABASE_URL: scratch.url,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    RFH_DATA_DIR: dataDir,
    RFH_RATE_LIMIT: 'off',
    RFH_ROOT_PASSWORD: ROOT_PASSWORD,
    // The login throttle keeps its defaults: the same-user scenario (1,000 logins of one account,
    // 50 at a time) must pass under the limits a deployment runs with. Every attempt takes a place
    // in the account's window before its hash and a success frees it, so 50 at once fit the
    // default 10 failures + 50 concurrency allowance.
  });
  const scenarios: Scenario[] = [];
  // Every measured load goes to this server and reports its CPU use.
  const load = (opts: Omit<Parameters<typeof runLoad>[0], 'url' | 'serverPid'>) => runLoad({ url: server.url, serverPid: server.pid, ...opts });
  const loadPaced = (opts: Omit<Parameters<typeof runPacedLoad>[0], 'url' | 'serverPid'>) => runPacedLoad({ url: server.url, serverPid: server.pid, ...opts });
  let searchPlan: string | undefined;
  const add = (s: Scenario) => {
    scenarios.push(s);
    const r = s.result;
    console.log(`${s.name}: ${r.requests} requests, ${r.non2xx} non-2xx, ${r.throughput} req/s, p50 ${r.latencyMs.p50} / p95 ${r.latencyMs.p95} / p99 ${r.latencyMs.p99} ms`);
  };
  try {
    // Seed users, their tokens, and a publisher.
    const users: string[] = [];
    for (let i = 0; i < 50; i++) {
      const name = `bench-user-${i}`;
      await json(server.url, '/v1/auth/register', { username: name, email: `${name}@example.com`, password: PASSWORD });
      users.push(name);
    }
    const tokens: string[] = [];
    for (const u of users) tokens.push((await json(server.url, '/v1/auth/login', { username: u, password: PASSWORD })).token);
    const rootToken = (await json(server.url, '/v1/auth/login', { username: 'root', password: ROOT_PASSWORD })).token;
    const publisherToken = (
      await json(server.url, '/v1/auth/register', { username: 'bench-publisher', email: 'bench-publisher@example.com', password: PASSWORD, role: 'publisher' }, rootToken)
    ).token;

    let seeded = false;
    const ensureSeeded = async () => {
      if (seeded) return;
      const t = performance.now();
      // Rule files for the packages group's content search, where the server's schema indexes
      // them. `reads` alone seeds none, so that two checkouts compared with it (BENCH_SERVER_ROOT)
      // answer the same reads over the same rows, whether or not one of them has content search.
      const ruleFiles = groups.includes('packages') && (await hasTable(scratch.url, 'registry.version_files'));
      await seedPackages(scratch.url, PACKAGES, { ruleFiles });
      console.log(`seeded ${PACKAGES} packages x 3 versions${ruleFiles ? `, ${FILES_PER_PACKAGE} rule files each` : ''}, in ${Math.round(performance.now() - t)} ms`);
      seeded = true;
    };
    // Real archives published over HTTP (1 KB to 60 KB of rules), for the blob downloads.
    let blobs: Array<{ sha256: string; size: number }> | undefined;
    const ensureBlobs = async () => {
      if (blobs) return blobs;
      const published: Array<{ sha256: string; size: number }> = [];
      for (let i = 0; i < BLOBS; i++) {
        const p = await publishRequest(`bench-blob-${i}`, '1.0.0', { 'rules.md': ruleText(1000 + i * 3000, i), 'more.md': ruleText(500, i + 1) });
        const res = await fetch(`${server.url}/v1/packages`, { method: 'POST', headers: { 'content-type': p.contentType, authorization: `Bearer ${publisherToken}` }, body: new Uint8Array(p.body) });
        const body = (await res.json()) as { sha256: string; size: number };
        if (res.status !== 201) throw new Error(`publishing blob archive ${i}: ${res.status} ${JSON.stringify(body)}`);
        published.push({ sha256: body.sha256, size: body.size });
      }
      return (blobs = published);
    };

    if (groups.includes('auth')) {
      // Warm-up, not recorded: the server has just started (code paths not yet optimised by the
      // JIT) and PostgreSQL has just been migrated and seeded (autovacuum and analyze run now).
      await attempt('warm-up', async () => {
        await runLoad({
          url: server.url,
          connections: 50,
          amount: 200,
          pick: (i) => loginRequest(users[i % users.length]!),
        });
      });

      const loginRun = async (pick: (i: number) => LoadRequest) => {
        // The hash-bound limit is measured around each run, on the otherwise idle machine.
        const before = await measureHashBound(cores, PASSWORD);
        const seen = new Set<string>();
        let failedToCreateSession = 0;
        const result = await load({
          connections: 50,
          amount: 1000,
          pick,
          onBody: (status, body) => {
            if (status === 200) seen.add((JSON.parse(body) as { token: string }).token);
            if (body.includes('Failed to create session')) failedToCreateSession++;
          },
        });
        const notes = { distinctTokens: seen.size, failedToCreateSession, ...loginShares(result.throughput, before, await measureHashBound(cores, PASSWORD)) };
        return { result, notes };
      };
      await attempt('login-same-user', async () => {
        // `ab -n 1000 -c 50` of one user's login: every concurrent login must get a session of its own.
        const run = await medianOf(REPEATS, () => loginRun(() => loginRequest(users[0]!)), (r) => r.notes.shareOfHashBound);
        add({ name: 'login-same-user', group: 'auth', description: '1,000 logins of one user at concurrency 50 (as ab -n 1000 -c 50 sends them)', ...run });
      });

      await attempt('login-distinct-users', async () => {
        const run = await medianOf(REPEATS, () => loginRun((i) => loginRequest(users[i % users.length]!)), (r) => r.notes.shareOfHashBound);
        add({ name: 'login-distinct-users', group: 'auth', description: '1,000 logins spread over 50 users at concurrency 50', ...run });
      });

      const profileRead = (i: number): LoadRequest => ({ method: 'GET', path: '/v1/auth/profile', headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } });
      await attempt('profile-read', async () => {
        const profile = await medianOf(
          REPEATS,
          async () => ({ result: await load({ connections: 50, amount: 10_000, pick: profileRead }), notes: {} }),
          (r) => r.result.throughput,
        );
        add({ name: 'profile-read', group: 'auth', description: '10,000 authenticated profile reads over 50 users at concurrency 50', ...profile });

        // The same reads by 50 clients at a fixed total rate, a share of the capacity just measured:
        // the latency of a request when the server is busy but not overloaded.
        for (const share of PACED_SHARES) {
          await attempt(`profile-read-paced-${share * 100}`, async () => {
            const rate = Math.max(1, Math.round(profile.result.throughput * share));
            const paced = await medianOf(
              REPEATS,
              async () => ({
                result: await loadPaced({ connections: 50, rate, seconds: PACED_SECONDS, pick: profileRead }),
                notes: { offeredRate: rate, shareOfCapacity: share },
              }),
              (r) => r.result.latencyMs.p95,
            );
            add({
              name: `profile-read-paced-${share * 100}`,
              group: 'auth',
              description: `profile reads by 50 clients at a fixed ${rate} req/s in all (${share * 100}% of the capacity measured by profile-read)`,
              ...paced,
            });
          });
        }
      });

      await attempt('health', async () => {
        const health = await load({ connections: 50, amount: 5_000, pick: () => ({ method: 'GET', path: '/v1/health' }) });
        add({ name: 'health', group: 'auth', description: '5,000 health checks (every store probed) at concurrency 50', result: health });
      });
    }

    if (groups.includes('reads')) {
      // The public reads alone, each the median of REPEATS runs by the server's CPU per request,
      // after one unmeasured pass (code compiled, connections open): what the server spends per
      // read, to compare with another checkout's server under the same load generator
      // (BENCH_SERVER_ROOT=<checkout> npm run bench -- reads).
      await attempt('reads', async () => {
        await ensureSeeded();
        const reads: Array<[string, string, (i: number) => LoadRequest]> = [
          ['reads-package', 'package reads', packageRead],
          ['reads-version', 'version reads', versionRead],
          ['reads-search', 'searches', searchOf(SEARCH_QUERIES)],
        ];
        for (const [, , pick] of reads) await load({ connections: 50, amount: 1_000, pick });
        for (const [name, what, pick] of reads) {
          const run = await medianOf(
            REPEATS,
            async () => ({ result: await load({ connections: 50, amount: 5_000, pick }), notes: {} }),
            (r) => r.result.cpu?.serverCpuMsPerRequest ?? Number.POSITIVE_INFINITY,
          );
          add({ name, group: 'reads', description: `5,000 ${what} over ${PACKAGES} packages at concurrency 50, the median of ${REPEATS} runs by server CPU`, ...run });
        }
      });
    }

    if (groups.includes('packages')) {
      // Reads over 10,000 packages: search must stay in the same order of time as a single read.
      await attempt('package reads and search', async () => {
        await ensureSeeded();
        const packageReads = await load({ connections: 50, amount: 5_000, pick: packageRead });
        add({ name: 'package-read', group: 'packages', description: `5,000 package reads over ${PACKAGES} packages at concurrency 50`, result: packageReads });
        const versionReads = await load({ connections: 50, amount: 5_000, pick: versionRead });
        add({ name: 'version-read', group: 'packages', description: `5,000 version reads over ${PACKAGES} packages at concurrency 50`, result: versionReads });
        // Name and content searches in the same run, each with the CPU of the server process and of
        // the database's backends: most of a content search's work is PostgreSQL's.
        const searches = (queries: readonly string[]) =>
          withDatabaseCpu(scratch.url, () =>
            load({ connections: 50, amount: 5_000, pick: searchOf(queries) }),
          );
        const nameSearch = await searches(SEARCH_QUERIES);
        const search = nameSearch.result;
        const plans = { selective: await explainSearch(scratch.url, 'caching'), typo: await explainSearch(scratch.url, 'kubernets-cachng') };
        searchPlan = `-- q=caching\n${plans.selective}\n\n-- q=kubernets-cachng (no full-text hit: near-miss names)\n${plans.typo}`;
        const indexes = [...new Set(searchPlan.match(/packages_\w+_idx/g) ?? [])];
        add({
          name: 'search',
          group: 'packages',
          description: `5,000 searches over ${PACKAGES} packages at concurrency 50 (${SEARCH_QUERIES.length} different queries)`,
          result: search,
          notes: { indexesUsed: indexes, searchP50OverReadP50: Math.round((search.latencyMs.p50 / packageReads.latencyMs.p50) * 100) / 100, ...searchCpu(nameSearch) },
        });
        const contentSearch = await searches(CONTENT_QUERIES);
        const contentPlan = await explainSearch(scratch.url, CONTENT_QUERIES[0]!);
        searchPlan += `\n\n-- q=${CONTENT_QUERIES[0]} (in rule files only: content hits, with snippets for the page)\n${contentPlan}`;
        const contentCpu = searchCpu(contentSearch);
        const nameCpu = searchCpu(nameSearch);
        add({
          name: 'search-content',
          group: 'packages',
          description: `5,000 searches of words found only in rule files (${FILES_PER_PACKAGE} files of 2-20 KB per package, ${CONTENT_QUERIES.length} different queries) at concurrency 50`,
          result: contentSearch.result,
          notes: {
            ...contentCpu,
            // The target: at most 2.
            contentOverNameCpu: contentCpu.cpuMsPerRequest && nameCpu.cpuMsPerRequest ? Math.round((contentCpu.cpuMsPerRequest / nameCpu.cpuMsPerRequest) * 100) / 100 : undefined,
            indexesUsed: [...new Set(contentPlan.match(/\w+_idx/g) ?? [])],
            sequentialScanOfFiles: /Seq Scan on version_files/.test(contentPlan),
          },
        });
        console.log(`\nEXPLAIN ANALYZE of the search statement over ${PACKAGES} packages:\n${searchPlan}\n`);
      });

      await attempt('blob-download', async () => {
        const archives = await ensureBlobs();
        const blobDownload = await load({
          connections: 50,
          amount: 5_000,
          pick: (i) => ({ method: 'GET', path: `/v1/blobs/${archives[i % archives.length]!.sha256}` }),
        });
        const sizes = archives.map((a) => a.size);
        add({
          name: 'blob-download',
          group: 'packages',
          description: `5,000 archive downloads (GET /v1/blobs/<sha256>) over ${BLOBS} archives published over HTTP, at concurrency 50`,
          result: blobDownload,
          notes: { archiveBytes: `${Math.min(...sizes)}-${Math.max(...sizes)}` },
        });
      });

      await attempt('package-page', async () => {
        // The web catalogue's package page: the package and its versions (SQL), the latest
        // version's archive read and unpacked (the blob store), its Markdown rendered, the page
        // hashed for its ETag. Over the packages published with archives above.
        await ensureBlobs();
        const pages = await load({
          connections: 50,
          amount: 2_000,
          pick: (i) => ({ method: 'GET', path: `/packages/bench-blob-${i % BLOBS}` }),
        });
        add({
          name: 'package-page',
          group: 'packages',
          description: `2,000 package pages (HTML, files of the latest version rendered) over ${BLOBS} packages published over HTTP, at concurrency 50`,
          result: pages,
        });
      });

      await attempt('publish', async () => {
        // N distinct new versions (no conflict by design), built before the clock starts. Spread
        // over 25 packages: concurrent publishes of one package and of different ones both occur.
        const bodies = await Promise.all(
          Array.from({ length: PUBLISHES + 50 }, (_, i) => publishRequest(`bench-pub-${i % 25}`, `1.0.${Math.floor(i / 25)}`, { 'rules.md': ruleText(2000, i) })),
        );
        const publish = await load({
          connections: 10,
          amount: PUBLISHES,
          pick: (i) => {
            const b = bodies[i % bodies.length]!;
            return { method: 'POST', path: '/v1/packages', headers: { 'content-type': b.contentType, authorization: `Bearer ${publisherToken}` }, body: b.body };
          },
        });
        const created = publish.statusCodes['201'] ?? 0;
        add({
          name: 'publish',
          group: 'packages',
          description: `${PUBLISHES} publishes of distinct new versions (multipart manifest + .tgz, about 1 KB) over 25 packages at concurrency 10`,
          result: publish,
          notes: { created, all201: created === publish.requests },
        });
      });
    }

    if (groups.includes('mixed')) {
      await attempt('mixed', async () => {
        await ensureSeeded();
        const archives = await ensureBlobs();
        // Mostly reads, some logins: weights out of 100, interleaved by a stride over the slots.
        const weights: Array<[string, number]> = [['search', 30], ['package', 25], ['version', 20], ['profile', 13], ['blob', 10], ['login', 2]];
        const slots = weights.flatMap(([k, w]) => Array<string>(w).fill(k));
        const pick = (i: number): LoadRequest => {
          const kind = slots[(i * 37) % slots.length]!;
          switch (kind) {
            case 'search':
              return { kind, ...searchOf(SEARCH_QUERIES)(i) };
            case 'package':
              return { kind, ...packageRead(i) };
            case 'version':
              return { kind, method: 'GET', path: `/v1/packages/${seededName((i * 104729) % PACKAGES)}/versions/1.${i % 3}.0` };
            case 'profile':
              return { kind, method: 'GET', path: '/v1/auth/profile', headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } };
            case 'blob':
              return { kind, method: 'GET', path: `/v1/blobs/${archives[i % archives.length]!.sha256}` };
            default:
              return { kind, ...loginRequest(users[i % users.length]!) };
          }
        };
        const mixed = await load({ connections: MIXED_CONNECTIONS, amount: MIXED_REQUESTS, pick });
        add({
          name: 'mixed',
          group: 'mixed',
          description:
            `${MIXED_REQUESTS.toLocaleString('en-US')} requests at ${MIXED_CONNECTIONS} concurrent connections: ` +
            weights.map(([k, w]) => `${w}% ${k}`).join(', '),
          result: mixed,
        });

        // The same mix from 500 clients at half the capacity just measured: what each user sees
        // when many are connected and the server is busy but not overloaded.
        await attempt('mixed-paced-50', async () => {
          const rate = Math.max(1, Math.round(mixed.throughput * 0.5));
          const paced = await loadPaced({ connections: MIXED_CONNECTIONS, rate, seconds: PACED_SECONDS, pick });
          add({
            name: 'mixed-paced-50',
            group: 'mixed',
            description: `the mixed workload from ${MIXED_CONNECTIONS} clients at a fixed ${rate} req/s in all (50% of the capacity measured by mixed)`,
            result: paced,
            notes: { offeredRate: rate, shareOfCapacity: 0.5 },
          });
        });
      });
    }
  } finally {
    await server.stop();
    dynamo.stop();
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return { scenarios, searchPlan };
}

async function main() {
  const started = performance.now();
  const groups = parseGroups(process.argv.slice(2));
  const cores = cpus().length;
  const loadAverageAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const hash = await measureHashBound(cores, PASSWORD);
  console.log(`groups: ${groups.join(', ')}; load average ${loadAverageAtStart.join(' ')}`);
  if (loadAverageAtStart[0]! > cores) {
    console.log(`note: the machine has been busy (load average ${loadAverageAtStart[0]} on ${cores} cores): figures may be noisy; see the "other" CPU column`);
  }
  console.log(
    `argon2id verify: ${hash.verifyMs} ms median on this machine; hash-bound limit ${hash.measuredPerSecond} logins/s with ${cores} verifies at once (ideal ${cores} x 1000 / ${hash.verifyMs} ms = ${hash.idealPerSecond})`,
  );

  const http = groups.some((g) => g !== 'lambda' && g !== 'scan') ? await runHttpGroups(groups, cores) : { scenarios: [] };
  let lambda: LambdaReport | undefined;
  if (groups.includes('lambda')) {
    await attempt('lambda', async () => {
      lambda = await runLambdaView({ pgBase, packages: PACKAGES, processes: LAMBDA.processes, invocations: LAMBDA.invocations });
      for (const f of lambda.failures ?? []) failures.push({ scenario: `lambda ${f.handler}`, error: f.error });
    });
  }

  let scan: ScanBenchReport | undefined;
  if (groups.includes('scan')) {
    await attempt('scan', async () => {
      scan = runScanBench();
    });
  }

  const date = new Date().toISOString();
  const result: BenchResult = {
    date,
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    groups,
    machine: {
      cores,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverageAtStart,
      loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
      postgres: await postgresVersion(),
      git: gitState(),
    },
    hashMs: hash.verifyMs,
    hashBoundPerSecond: hash.measuredPerSecond,
    hashBoundIdealPerSecond: hash.idealPerSecond,
    scenarios: http.scenarios,
    ...(http.searchPlan ? { searchPlan: http.searchPlan } : {}),
    ...(lambda ? { lambda } : {}),
    ...(scan ? { scan } : {}),
    ...(failures.length ? { failures } : {}),
  };

  if (result.scenarios.length) {
    console.log('\n| scenario | connections | requests | non-2xx | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req | cores: server / load gen. / other |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const s of result.scenarios) {
      const r = s.result;
      const cores = r.cpu ? `${r.cpu.serverCores} / ${r.cpu.loadGeneratorCores} / ${r.cpu.otherCores}` : 'n/a';
      console.log(
        `| ${s.name} | ${r.connections} | ${r.requests} | ${r.non2xx} | ${r.throughput} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.p99} | ${r.cpu?.serverCpuMsPerRequest ?? 'n/a'} | ${cores} |`,
      );
    }
    for (const s of result.scenarios) if (s.notes) console.log(`${s.name}: ${JSON.stringify(s.notes)}`);
    for (const s of result.scenarios) {
      for (const [k, v] of Object.entries(s.result.byKind ?? {})) {
        console.log(`${s.name} / ${k}: ${v.requests} requests, ${v.non2xx} non-2xx, p50 ${v.latencyMs.p50} / p95 ${v.latencyMs.p95} / p99 ${v.latencyMs.p99} ms`);
      }
    }
  }
  if (lambda) {
    console.log('\n| function | bundle KiB | init (import) ms | first invocation ms | cold ms | warm p50 ms | warm p95 ms | invocations | non-2xx |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const f of lambda.functions) {
      console.log(`| ${f.handler} | ${f.bundleKiB} | ${f.importMs} | ${f.firstInvokeMs} | ${f.coldMs} | ${f.warmMs.p50} | ${f.warmMs.p95} | ${f.invocations} | ${f.non2xx} |`);
    }
  }

  await mkdir('bench/results', { recursive: true });
  const base = join('bench/results', date.replace(/[:.]/g, '-'));
  await writeFile(`${base}.json`, JSON.stringify(result, null, 2));
  await writeFile(`${base}.html`, renderReport(result));
  console.log(`\nwall time ${result.wallSeconds} s\nwrote ${base}.json\nwrote ${base}.html`);
  if (failures.length) {
    console.error(`\n${failures.length} scenario(s) failed:\n${failures.map((f) => `  ${f.scenario}: ${f.error}`).join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
