import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Argon2PasswordHasher } from '../../shared/auth/PasswordHasher.js';
import { createScratchDatabase } from '../local/scratchDatabase.js';
import { runLoad, type LoadResult } from './load.js';
import { explainSearch, seededName, seedPackages } from './seedPackages.js';
import { startServerProcess } from './serverProcess.js';

// `npm run bench`: the local server in its own process on real PostgreSQL (BENCH_DATABASE_URL,
// else DATABASE_URL, else this machine's server), rate limits off, loaded over HTTP by autocannon
// from this process. Prints a table and writes bench/results/<date>.json.

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const PASSWORD = 'bench password 123';
const pgBase = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function hashCostMs(): Promise<number> {
  const hasher = new Argon2PasswordHasher();
  const stored = await hasher.hash(PASSWORD);
  for (let i = 0; i < 3; i++) await hasher.verify(stored, PASSWORD); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await hasher.verify(stored, PASSWORD);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 100) / 100;
}

async function json(url: string, path: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

interface Scenario {
  name: string;
  description: string;
  result: LoadResult;
  notes?: Record<string, unknown>;
}

async function main() {
  const scratch = (await createScratchDatabase(pgBase))!;
  const dataDir = await mkdtemp(join(tmpdir(), 'rfh-bench-'));
  const server = await startServerProcess({
    DATABASE_URL: scratch.url,
    RFH_DATA_DIR: dataDir,
    RFH_RATE_LIMIT: 'off',
    RFH_ROOT_PASSWORD: 'bench root password',
    // The same-user scenario deliberately logs one account in 1,000 times.
    RFH_LOGIN_MAX_FAILURES: '1000000',
  });
  const scenarios: Scenario[] = [];
  try {
    const hashMs = await hashCostMs();
    const cores = cpus().length;
    const hashBound = Math.round((cores * 1000) / hashMs);
    console.log(`argon2id verify: ${hashMs} ms median on this machine; ${cores} cores -> hash-bound limit ~${hashBound} logins/s`);

    // Seed users.
    const users: string[] = [];
    for (let i = 0; i < 50; i++) {
      const name = `bench-user-${i}`;
      await json(server.url, '/v1/auth/register', { username: name, email: `${name}@example.com`, password: PASSWORD });
      users.push(name);
    }
    const tokens: string[] = [];
    for (const u of users) tokens.push((await json(server.url, '/v1/auth/login', { username: u, password: PASSWORD })).token);

    const only = process.argv[2]; // `npm run bench -- auth` or `-- packages` runs one group
    if (!only || only === 'auth') {
    // The seed analysis's test: `ab -n 1000 -c 50` of one user's login.
    const seen = new Set<string>();
    let failedToCreateSession = 0;
    const sameUser = await runLoad({
      url: server.url,
      connections: 50,
      amount: 1000,
      pick: () => ({
        method: 'POST',
        path: '/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: users[0], password: PASSWORD }),
      }),
      onBody: (status, body) => {
        if (status === 200) seen.add((JSON.parse(body) as { token: string }).token);
        if (body.includes('Failed to create session')) failedToCreateSession++;
      },
    });
    scenarios.push({
      name: 'login-same-user',
      description: '1,000 logins of one user at concurrency 50 (the seed analysis ab test)',
      result: sameUser,
      notes: { distinctTokens: seen.size, failedToCreateSession, hashBoundPerSecond: hashBound, hashMs, shareOfHashBound: Math.round((sameUser.throughput / hashBound) * 100) / 100 },
    });

    const distinct = await runLoad({
      url: server.url,
      connections: 50,
      amount: 1000,
      pick: (i) => ({
        method: 'POST',
        path: '/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: users[i % users.length], password: PASSWORD }),
      }),
    });
    scenarios.push({ name: 'login-distinct-users', description: '1,000 logins spread over 50 users at concurrency 50', result: distinct });

    const profile = await runLoad({
      url: server.url,
      connections: 50,
      amount: 10_000,
      pick: (i) => ({ method: 'GET', path: '/v1/auth/profile', headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } }),
    });
    scenarios.push({ name: 'profile-read', description: '10,000 authenticated profile reads at concurrency 50', result: profile });

    const health = await runLoad({ url: server.url, connections: 50, amount: 5_000, pick: () => ({ method: 'GET', path: '/v1/health' }) });
    scenarios.push({ name: 'health', description: '5,000 health checks (both stores probed) at concurrency 50', result: health });

    }

    if (!only || only === 'packages') {
    // Reads over 10,000 packages: search must stay in the same order of time as a single read.
    const PACKAGES = 10_000;
    await seedPackages(scratch.url, PACKAGES);
    const packageRead = await runLoad({
      url: server.url,
      connections: 50,
      amount: 5_000,
      pick: (i) => ({ method: 'GET', path: `/v1/packages/${seededName((i * 7919) % PACKAGES)}` }),
    });
    scenarios.push({ name: 'package-read', description: `5,000 package reads over ${PACKAGES} packages at concurrency 50`, result: packageRead });
    const versionRead = await runLoad({
      url: server.url,
      connections: 50,
      amount: 5_000,
      pick: (i) => ({ method: 'GET', path: `/v1/packages/${seededName((i * 104729) % PACKAGES)}/versions/1.1.0` }),
    });
    scenarios.push({ name: 'version-read', description: `5,000 version reads over ${PACKAGES} packages at concurrency 50`, result: versionRead });
    // Selective words, a phrase, an exact name, a typo (near-miss fallback) and one broad word.
    const queries = ['migrations', 'caching', 'async hooks', seededName(4242), 'kubernets', 'logging', 'terraform schemas', 'strict typed', 'naming', 'react'];
    const search = await runLoad({
      url: server.url,
      connections: 50,
      amount: 5_000,
      pick: (i) => ({ method: 'GET', path: `/v1/packages?q=${encodeURIComponent(queries[i % queries.length]!)}` }),
    });
    const plans = { selective: await explainSearch(scratch.url, 'caching'), typo: await explainSearch(scratch.url, 'kubernets-cachng') };
    const plan = `-- q=caching\n${plans.selective}\n\n-- q=kubernets-cachng (no full-text hit: near-miss names)\n${plans.typo}`;
    const indexes = [...new Set(plan.match(/packages_\w+_idx/g) ?? [])];
    scenarios.push({
      name: 'search',
      description: `5,000 searches over ${PACKAGES} packages at concurrency 50 (${queries.length} different queries)`,
      result: search,
      notes: { indexesUsed: indexes, searchP50OverReadP50: Math.round((search.latencyMs.p50 / packageRead.latencyMs.p50) * 100) / 100 },
    });
    console.log(`\nEXPLAIN ANALYZE of the search statement over ${PACKAGES} packages:\n${plan}\n`);
    }

    console.log('\n| scenario | requests | non-2xx | req/s | p50 ms | p95 ms | p99 ms |');
    console.log('|---|---|---|---|---|---|---|');
    for (const s of scenarios) {
      const r = s.result;
      console.log(`| ${s.name} | ${r.requests} | ${r.non2xx} | ${r.throughput} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.p99} |`);
    }
    for (const s of scenarios) if (s.notes) console.log(`${s.name}: ${JSON.stringify(s.notes)}`);

    await mkdir('bench/results', { recursive: true });
    const file = join('bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFile(file, JSON.stringify({ date: new Date().toISOString(), machine: { cores, node: process.version }, hashMs, scenarios }, null, 2));
    console.log(`\nwrote ${file}`);
  } finally {
    await server.stop();
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
