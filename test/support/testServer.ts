import { expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer, type RunningServer } from '../../scripts/local/LocalServer.js';
import { createScratchDatabase } from '../../scripts/local/scratchDatabase.js';

export const ROOT_PASSWORD = 'root-password-for-tests';

/** Asserts an answer's status; when it differs, the failure shows the answer's body. */
export function expectStatus(reply: { status: number; text: string }, status: number): void {
  expect(reply.status, `answer body: ${reply.text.slice(0, 2000)}`).toBe(status);
}

export interface ApiReply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestServer {
  url: string;
  server: RunningServer;
  dataDir: string;
  /** Calls the API over HTTP. `json` is sent as a JSON body; `body` as-is. */
  call<T = any>(
    method: string,
    path: string,
    opts?: { token?: string; json?: unknown; body?: string | Uint8Array; headers?: Record<string, string> },
  ): Promise<ApiReply<T>>;
  /** Registers a user (role user) and returns its token. */
  registerUser(username: string, password?: string): Promise<{ token: string; id: number }>;
  /** Stops the server; removes the data directory and scratch database unless `keepData`. */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** Reuse a data directory (restart tests). */
  dataDir?: string;
  /** Embedded PGlite even when DATABASE_URL is set. */
  embedded?: boolean;
  databaseUrl?: string;
}

/**
 * Starts the real local server (the same one `npm start` runs) on a free port, with its own
 * data directory and, when DATABASE_URL is set, its own scratch database on that server.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer & { databaseUrl?: string; dropDatabase?: () => Promise<void> }> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'rfh-test-')));
  const scratch = options.embedded || options.databaseUrl ? undefined : await createScratchDatabase();
  const databaseUrl = options.databaseUrl ?? scratch?.url;
  const env: NodeJS.ProcessEnv = {
    RFH_RATE_LIMIT: 'off',
    RFH_ROOT_PASSWORD: ROOT_PASSWORD,
    JWT_SECRET: `test-secret-${randomBytes(24).toString('hex')}`,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  };
  const server = await startLocalServer({ env, dataDir, port: 0, log: () => {} });

  const call: TestServer['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | Uint8Array | undefined = opts.body;
    if (opts.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.json);
    }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(`${server.url}${path}`, { method, headers, body: body as BodyInit | undefined });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed as any, text };
  };

  return {
    url: server.url,
    server,
    dataDir,
    databaseUrl,
    dropDatabase: scratch?.drop,
    call,
    async registerUser(username, password = 'correct horse battery') {
      const r = await call('POST', '/v1/auth/register', {
        json: { username, email: `${username}@example.com`, password },
      });
      if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${r.text}`);
      return { token: r.body.token, id: r.body.id };
    },
    async close(opts = {}) {
      await server.close();
      if (!opts.keepData) {
        await scratch?.drop();
        if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}
