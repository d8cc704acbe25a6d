import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createScratchDatabase } from '../local/scratchDatabase.js';
import { withDatabaseCpu } from './databaseCpu.js';
import { startDynamoProcess } from './dynamoProcess.js';
import { runLoad, type LoadRequest } from './load.js';
import { PACKAGES, packageRead, searchOf, versionRead } from './readRequests.js';
import { seedPackages } from './seedPackages.js';
import { startServerProcess, type ServerProcess } from './serverProcess.js';

// `npm run bench:compare -- <checkout> [rounds]`: the public reads (package, version, search) of
// another checkout (its own `npm ci` done) and of this one, interleaved: both servers run at once,
// each on its own scratch database seeded alike, and every round loads one then the other (which
// goes first alternates), so the machine's slow minutes fall on both. Prints every run and, per
// read, the medians of the server's CPU per request. On this shared machine single runs of one
// tree move by ±20%; see docs/BENCHMARKS.md.

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const pgBase = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const [other, roundsArg] = process.argv.slice(2);
if (!other) {
  console.error('usage: npm run bench:compare -- <checkout> [rounds]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 6);
const AMOUNT = 5_000;
const reads: Array<[string, (i: number) => LoadRequest]> = [
  ['package', packageRead],
  ['version', versionRead],
  ['search', searchOf()],
];

const dynamo = await startDynamoProcess();
const servers: Array<{ name: string; server: ServerProcess; scratch: { url: string; drop(): Promise<void> }; dataDir: string }> = [];
try {
  for (const [name, checkout] of [
    ['other', resolve(other)],
    ['this', resolve('.')],
  ] as const) {
    const scratch = (await createScratchDatabase(pgBase))!;
    const dataDir = await mkdtemp(join(tmpdir(), 'rfh-compare-'));
    const server = await startServerProcess(
      { DATABASE_URL: scratch.url, DYNAMODB_ENDPOINT: dynamo.endpoint, RFH_DATA_DIR: dataDir, RFH_RATE_LIMIT: 'off', RFH_ROOT_PASSWORD: 'bench root password' },
      checkout,
    );
    servers.push({ name: `${name} (${checkout})`, server, scratch, dataDir });
    await seedPackages(scratch.url, PACKAGES);
  }
  // An unmeasured pass: code compiled, connections open, statements prepared.
  for (const { server } of servers) for (const [, pick] of reads) await runLoad({ url: server.url, connections: 50, amount: 1_000, pick });

  // The server's CPU per request, and the database's (its backends for that server's scratch
  // database): work moved from one to the other shows.
  const cpu = new Map<string, { server: number[]; database: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const [read, pick] of reads) {
      for (const { name, server, scratch } of round % 2 === 0 ? servers : [...servers].reverse()) {
        const { result: r, databaseCpuMs } = await withDatabaseCpu(scratch.url, () =>
          runLoad({ url: server.url, serverPid: server.pid, connections: 50, amount: AMOUNT, pick }),
        );
        const ms = r.cpu?.serverCpuMsPerRequest ?? Number.NaN;
        const dbMs = databaseCpuMs === undefined ? Number.NaN : Math.round((databaseCpuMs / r.requests) * 100) / 100;
        const key = `${read} ${name}`;
        const seen = cpu.get(key) ?? { server: [], database: [] };
        seen.server.push(ms);
        seen.database.push(dbMs);
        cpu.set(key, seen);
        console.log(`round ${round + 1} ${key}: ${ms} ms/req, database ${dbMs} ms/req, ${r.throughput} req/s, non-2xx ${r.non2xx + r.errors}`);
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
  const change = (from: number, to: number) => `${Math.round(((to - from) / from) * 100)}%`;
  console.log("\nCPU ms per request, median of each tree's runs (server; database):");
  for (const [read] of reads) {
    const [first, second] = servers.map(({ name }) => cpu.get(`${read} ${name}`)!);
    const [s1, s2, d1, d2] = [median(first!.server), median(second!.server), median(first!.database), median(second!.database)];
    console.log(`${read}: server other ${s1} -> this ${s2} (${change(s1, s2)}); database other ${d1} -> this ${d2} (${change(d1, d2)})`);
  }
} finally {
  for (const { server, scratch, dataDir } of servers) {
    await server.stop();
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
  dynamo.stop();
}
