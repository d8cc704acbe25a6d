import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ControllableTcpProxy } from '../local/ControllableTcpProxy.js';
import { createScratchDatabase } from '../local/scratchDatabase.js';
import { startServerProcess } from '../bench/serverProcess.js';

// `npm run faults`: the outage drill. The server in its own process on this machine's
// PostgreSQL behind a TCP proxy; 100 concurrent clients send a mixed load for 30 s; PostgreSQL is
// cut off from second 10 to second 20. Reports 5xx by kind, hung requests, recovery time, and
// checks the data afterwards.

const DURATION_MS = Number(process.env.FAULTS_DURATION_MS ?? 30_000);
const OUTAGE_FROM_MS = DURATION_MS / 3;
const OUTAGE_MS = DURATION_MS / 3;
const CONCURRENCY = Number(process.env.FAULTS_CONCURRENCY ?? 100);
const CLIENT_TIMEOUT_MS = 15_000; // longer than any route's deadline: a request past it has hung
const password = 'fault password 1';
const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Sample {
  at: number;
  ms: number;
  status: number;
  kind: string;
}

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const scratch = (await createScratchDatabase(base))!;
  const direct = new URL(scratch.url);
  const proxy = await ControllableTcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaProxy = new URL(scratch.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const dataDir = await mkdtemp(join(tmpdir(), 'rfh-faults-'));
  const server = await startServerProcess({
    DATABASE_URL: viaProxy.toString(),
    RFH_DATA_DIR: dataDir,
    RFH_RATE_LIMIT: 'off',
    RFH_ROOT_PASSWORD: 'fault root password',
    RFH_LOGIN_MAX_FAILURES: '1000000',
  });
  const call = async (method: string, path: string, init: { token?: string; json?: unknown; form?: FormData } = {}) => {
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(server.url + path, {
      method,
      headers,
      body: init.form ?? (init.json === undefined ? undefined : JSON.stringify(init.json)),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as { token: string } };
  };
  const { packageArchive } = await import('../bench/archives.js');
  const publishForm = async (name: string, version: string) => {
    const form = new FormData();
    form.append('manifest', new Blob([JSON.stringify({ name, version })]), 'rulestack.json');
    form.append('archive', new Blob([new Uint8Array(await packageArchive(name, version))]), 'p.tgz');
    return form;
  };

  try {
        const root = (await call('POST', '/v1/auth/login', { json: { username: 'root', password: 'fault root password' } })).body.token;
    const pub = (await call('POST', '/v1/auth/register', { token: root, json: { username: 'pub', email: 'p@example.com', password, role: 'publisher' } })).body.token;
    const users: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await call('POST', '/v1/auth/register', { json: { username: `user${i}`, email: `user${i}@example.com`, password } });
      if (r.status !== 201) throw new Error(`setup: register user${i}: ${r.status}`);
      users.push(r.body.token);
    }
    await call('POST', '/v1/packages', { token: pub, form: await publishForm('steady', '1.0.0') });

    const samples: Sample[] = [];
    let seq = 0;
    const kinds: Array<[string, (i: number) => Promise<{ status: number }>]> = [
      ['package-read', () => call('GET', '/v1/packages/steady')],
      ['version-read', () => call('GET', '/v1/packages/steady/versions/1.0.0')],
      ['search', () => call('GET', '/v1/packages?q=steady')],
      ['profile', (i) => call('GET', '/v1/auth/profile', { token: users[i % users.length] })],
      ['login', (i) => call('POST', '/v1/auth/login', { json: { username: `user${i % users.length}`, password } })],
      ['register', (i) => call('POST', '/v1/auth/register', { json: { username: `load${i}`, email: `load${i}@example.com`, password } })],
      ['publish', async (i) => call('POST', '/v1/packages', { token: pub, form: await publishForm('loadpkg', `1.0.${i}`) })],
    ];
    const start = Date.now();
    setTimeout(() => proxy.setMode('refuse'), OUTAGE_FROM_MS);
    setTimeout(() => proxy.setMode('pass'), OUTAGE_FROM_MS + OUTAGE_MS);
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() - start < DURATION_MS) {
          const i = seq++;
          // Mostly reads, as a registry sees: one write in ten.
          const pick = i % 10 < 9 ? kinds[i % 5]! : kinds[5 + (Math.floor(i / 10) % 2)]!;
          const t = Date.now();
          let status = 0;
          try {
            status = (await pick[1](i)).status;
          } catch {
            status = -1; // client timeout or connection error: a hung request
          }
          samples.push({ at: t - start, ms: Date.now() - t, status, kind: pick[0] });
        }
      }),
    );

    const restored = OUTAGE_FROM_MS + OUTAGE_MS;
    const failedAfter = samples.filter((s) => s.at >= restored && s.status >= 500).sort((a, b) => b.at - a.at);
    const recoveryMs = failedAfter.length ? failedAfter[0]!.at + failedAfter[0]!.ms - restored : 0;
    const count = (f: (s: Sample) => boolean) => samples.filter(f).length;
    const byStatus: Record<string, number> = {};
    const byKind: Record<string, Record<string, number>> = {};
    for (const s of samples) {
      byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
      const k = (byKind[s.kind] ??= {});
      k[s.status] = (k[s.status] ?? 0) + 1;
    }

    // Data check: every version has its blob, every user row is whole, no version without a package.
    const db = new pg.Client({ connectionString: scratch.url });
    db.on('error', (err) => console.error('data-check connection error', err.message));
    await db.connect();
    const versions = (await db.query<{ sha256: string }>('SELECT sha256 FROM registry.package_versions')).rows;
    let missingBlobs = 0;
    for (const v of versions) if ((await fetch(`${server.url}/v1/blobs/${v.sha256}`)).status !== 200) missingBlobs++;
    const orphans = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM registry.packages p WHERE NOT EXISTS (SELECT 1 FROM registry.package_versions v WHERE v.package_id = p.id)')).rows[0]!.n;
    await db.end();

    const report = {
      durationSeconds: DURATION_MS / 1000,
      concurrency: CONCURRENCY,
      outage: `${OUTAGE_FROM_MS / 1000}s to ${(OUTAGE_FROM_MS + OUTAGE_MS) / 1000}s`,
      requests: samples.length,
      byStatus,
      byKind,
      http500: count((s) => s.status === 500),
      otherServerErrors: count((s) => s.status > 500 && s.status !== 503),
      hung: count((s) => s.status === -1),
      slowestMs: Math.max(...samples.map((s) => s.ms)),
      recoverySecondsAfterPostgresReturned: Math.round(recoveryMs / 100) / 10,
      dataCheck: { versions: versions.length, versionsWithoutBlob: missingBlobs, packagesWithoutVersion: orphans },
    };
    console.log(JSON.stringify(report, null, 2));
    if (report.http500 || report.hung || missingBlobs || orphans || recoveryMs > 5_000) process.exitCode = 1;
  } finally {
    await server.stop();
    await proxy.close();
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
