import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRequest } from '../../scripts/bench/archives.js';
import { InProcessSideEffectQueue } from '../../shared/sideEffects/InProcessSideEffectQueue.js';
import { ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

// Anonymous repeated downloads cannot inflate a version's download count: a client address counts
// once per version per hour, however many downloads it sends and however many at once. The
// requests come from different loopback addresses (127.0.0.x), which the server sees as different
// clients, exactly as it sees different callers' addresses.

let api: TestServer;
let port: number;
const sha: Record<string, string> = {};

/** GET /v1/blobs/{sha256} from the given local address; resolves to the status. */
function download(sha256: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/v1/blobs/${sha256}`, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function downloads(name: string): Promise<number> {
  await (api.server.runtime.deps.sideEffects as InProcessSideEffectQueue).drain();
  const r = await api.call('GET', `/v1/packages/${name}/versions/1.0.0`);
  expect(r.status).toBe(200);
  return r.body.downloads;
}

beforeAll(async () => {
  api = await startTestServer();
  port = Number(new URL(api.url).port);
  const root = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
  const pub = (await api.call('POST', '/v1/auth/register', {
    token: root,
    json: { username: 'counter', email: 'counter@example.com', password: 'correct horse battery', role: 'publisher' },
  })).body.token;
  for (const name of ['dl-one', 'dl-two']) {
    const { body, contentType } = await publishRequest(name, '1.0.0');
    const r = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType, authorization: `Bearer ${pub}` } });
    expect(r.status).toBe(201);
    sha[name] = ((await r.json()) as { sha256: string }).sha256;
  }
});

afterAll(async () => {
  await api?.close();
});

describe('download counts', () => {
  it('counts 40 parallel downloads from one address once', async () => {
    const statuses = await Promise.all(Array.from({ length: 40 }, () => download(sha['dl-one']!, '127.0.0.1')));
    expect(statuses).toEqual(Array(40).fill(200));
    expect(await downloads('dl-one')).toBe(1);
    // Later downloads in the same hour add nothing either.
    await Promise.all(Array.from({ length: 10 }, () => download(sha['dl-one']!, '127.0.0.1')));
    expect(await downloads('dl-one')).toBe(1);
  });

  it('counts different addresses separately, each once, and each version on its own', async () => {
    const from = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    const all = from.flatMap((address) => Array.from({ length: 15 }, () => download(sha['dl-one']!, address)));
    const other = Array.from({ length: 15 }, () => download(sha['dl-two']!, '127.0.0.2'));
    const statuses = await Promise.all([...all, ...other]);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await downloads('dl-one')).toBe(1 + from.length);
    expect(await downloads('dl-two')).toBe(1);
  });

  it('remembers one key per client, version and hour, never an address', async () => {
    const { rows } = await api.server.runtime.deps.db.query<Record<string, unknown>>('SELECT * FROM registry.download_clients');
    expect(rows).toHaveLength(5); // 127.0.0.1-4 for dl-one, 127.0.0.2 for dl-two
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(['client_hash', 'version_id', 'window_start']);
      expect(r.client_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(rows.map((r) => r.client_hash)).size).toBe(5);
  });
});
