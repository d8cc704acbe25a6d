import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer } from '../../scripts/local/LocalServer.js';
import { PgliteDatabase } from '../../scripts/local/PgliteDatabase.js';
import { packageArchive, manifestFor } from '../support/archives.js';

// `npm run reprocess` as an operator runs it, on the data directory of `npm start` (embedded
// PGlite, archives in the blob folder), in a process of its own.

const ROOT_PASSWORD = 'reprocess root password';
// Each run starts Node, compiles the script and opens the embedded database: seconds each, more on a busy machine.
const COMMAND_RUNS_TIMEOUT_MS = 300_000;
let dataDir: string;

function runCommand(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/reprocess.ts', ...args], {
    env: { ...process.env, RFH_DATA_DIR: dataDir, DATABASE_URL: '', BLOBS_BUCKET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`reprocess hung: ${out}`));
    }, 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function indexedPaths(): Promise<string[]> {
  const db = await PgliteDatabase.open(join(dataDir, 'pg'));
  try {
    const { rows } = await db.query<{ file: string }>(
      `SELECT p.name || ':' || f.path AS file FROM registry.version_files f
         JOIN registry.package_versions v ON v.id = f.version_id JOIN registry.packages p ON p.id = v.package_id ORDER BY 1`,
    );
    return rows.map((r) => r.file);
  } finally {
    await db.close();
  }
}

describe('npm run reprocess', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rfh-reprocess-cmd-'));
    const server = await startLocalServer({ env: { RFH_ROOT_PASSWORD: ROOT_PASSWORD, RFH_RATE_LIMIT: 'off' }, dataDir, port: 0, log: () => {} });
    try {
      const login = await fetch(`${server.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'root', password: ROOT_PASSWORD }),
      });
      const { token } = (await login.json()) as { token: string };
      for (const name of ['kept-rules', 'lost-rules']) {
        const files = { 'rules.md': `# ${name}\n\nThe ${name === 'kept-rules' ? 'pelican' : 'cormorant'} rule.\n` };
        const archive = await packageArchive(name, '1.0.0', files);
        const form = new FormData();
        form.append('manifest', new Blob([JSON.stringify(manifestFor(name, '1.0.0', Object.keys(files)))]), 'rulestack.json');
        form.append('archive', new Blob([new Uint8Array(archive)]), 'package.tgz');
        const published = await fetch(`${server.url}/v1/packages`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
        expect(published.status, await published.clone().text()).toBe(201);
        if (name === 'lost-rules') {
          const hash = createHash('sha256').update(archive).digest('hex');
          await rm(join(dataDir, 'blobs', hash.slice(0, 2), `${hash}.tgz`));
        }
      }
    } finally {
      await server.close();
    }
    // As a database migrated to 009 after these versions were published: nothing indexed.
    const db = await PgliteDatabase.open(join(dataDir, 'pg'));
    await db.query('DELETE FROM registry.version_files');
    await db.close();
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('indexes what it can read, reports the missing archive, exits 0; a second run changes nothing', async () => {
    const first = await runCommand([]);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('reprocess: 2/2 versions, 1 skipped (archive missing), 1 changed');
    expect(first.out).toMatch(/archive missing:\n {2}lost-rules@1\.0\.0 \(sha256 [0-9a-f]{64}\)/);
    expect(await indexedPaths()).toEqual(['kept-rules:rules.md', 'kept-rules:rulestack.json']);

    const second = await runCommand([]);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('reprocess: 2/2 versions, 1 skipped (archive missing), 0 changed');
    expect(await indexedPaths()).toEqual(['kept-rules:rules.md', 'kept-rules:rulestack.json']);

    const onlyMissing = await runCommand(['--only-missing']);
    expect(onlyMissing.code, onlyMissing.out).toBe(0);
    expect(onlyMissing.out).toContain('reprocess: 2/2 versions, 1 skipped (archive missing), 0 changed, 1 already done');
  }, COMMAND_RUNS_TIMEOUT_MS);

  it('exits non-zero when the blob store fails, and 2 for an unknown option', async () => {
    // An S3 endpoint where nothing listens: the store is unreachable.
    const failed = await runCommand([], { BLOBS_BUCKET: 'archives', S3_ENDPOINT: 'http://127.0.0.1:9' });
    expect(failed.code, failed.out).toBe(1);
    expect(failed.out).toMatch(/reprocess: stopped: blobs unavailable/);
    const usage = await runCommand(['--everything']);
    expect(usage.code).toBe(2);
    expect(usage.out).toMatch(/usage: npm run reprocess/);
  }, COMMAND_RUNS_TIMEOUT_MS);
});
