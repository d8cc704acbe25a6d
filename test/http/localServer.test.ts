import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer } from '../../scripts/local/LocalServer.js';

// `npm start` on embedded stores: first start, restart, shutdown.
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'rfh-local-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function post(url: string, path: string, json: unknown, token?: string) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(json),
  });
  return { status: res.status, body: (await res.json()) };
}

describe('local server on embedded stores', () => {
  it('generates root password and JWT secret once, and keeps data and tokens across a restart', async () => {
    const logs: string[] = [];
    const env = { RFH_RATE_LIMIT: 'off' };
    const first = await startLocalServer({ env, dataDir, port: 0, log: (l) => logs.push(l) });
    const line = logs.find((l) => l.includes('generated password'));
    expect(line).toBeDefined();
    const rootPassword = /generated password: (\S+)/.exec(line!)![1]!;
    expect(rootPassword.length).toBeGreaterThanOrEqual(20);
    expect((await post(first.url, '/v1/auth/login', { username: 'root', password: rootPassword })).status).toBe(200);
    const reg = await post(first.url, '/v1/auth/register', { username: 'keeper', email: 'k@example.com', password: 'persist me please' });
    expect(reg.status).toBe(201);
    expect((await stat(join(dataDir, 'jwt-secret'))).mode & 0o777).toBe(0o600);
    await first.close();

    const logs2: string[] = [];
    const second = await startLocalServer({ env, dataDir, port: 0, log: (l) => logs2.push(l) });
    try {
      expect(logs2.some((l) => l.includes('generated password'))).toBe(false);
      const profile = await fetch(`${second.url}/v1/auth/profile`, { headers: { authorization: `Bearer ${reg.body.token}` } });
      expect(profile.status).toBe(200);
      expect((await post(second.url, '/v1/auth/login', { username: 'keeper', password: 'persist me please' })).status).toBe(200);
      expect((await post(second.url, '/v1/auth/login', { username: 'root', password: rootPassword })).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('`npm start` serves on PORT and stops cleanly on SIGINT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rfh-start-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/server.ts'], {
      env: { ...process.env, PORT: '0', RFH_DATA_DIR: dir, RFH_ROOT_PASSWORD: 'a root password', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 60_000);
        child.stdout.on('data', () => {
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const health = await fetch(`${url}/v1/health`);
      expect(health.status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
      expect(code).toBe(0);
      expect(out).toContain('Stopped cleanly');
      expect(out).not.toContain('a root password');
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('enforces the route table\'s per-client rate limit unless RFH_RATE_LIMIT=off', async () => {
    const server = await startLocalServer({ env: { RFH_ROOT_PASSWORD: 'whatever root' }, port: 0, log: () => {} });
    try {
      // change-password allows 20 a minute per client; limits apply before authentication.
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await fetch(`${server.url}/v1/auth/change-password`, { method: 'POST' })).status);
      expect(statuses.every((s) => s === 401)).toBe(true);
      const limited = await fetch(`${server.url}/v1/auth/change-password`, { method: 'POST' });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // Other routes have their own budget.
      expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
      expect(((await limited.json()) as { error: string }).error).toMatch(/too many requests/i);
    } finally {
      await server.close();
    }
  });
});
