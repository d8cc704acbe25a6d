import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPacedLoad } from '../../scripts/bench/pacedLoad.js';

// The bench's paced load driver against a server that answers every request after 50 ms. Only
// lower bounds on time are asserted: a slow machine can make requests later, never earlier.

const DELAY_MS = 50;
let server: Server;
let url: string;
const sockets = new Set<string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.add(`${req.socket.remotePort}`);
    setTimeout(() => {
      res.writeHead(req.url === '/bad' ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(req.url === '/bad' ? 'broken' : 'ok');
    }, DELAY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('runPacedLoad', () => {
  it('times each request from when it was due, so a backlog shows as latency (no coordinated omission)', async () => {
    // One client, a request due every 25 ms, each taking 50 ms: request k cannot finish before
    // 50 × (k + 1) ms, though it was due at 25 × k, so its latency is at least 50 + 25 × k ms.
    const r = await runPacedLoad({ url, connections: 1, rate: 40, seconds: 1, pick: () => ({ method: 'GET', path: '/' }) });
    expect(r.requests).toBe(40);
    expect(r.non2xx).toBe(0);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(50 + 25 * 19);
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(50 + 25 * 39);
  });

  it('sends at the given rate, not faster, each client on its own connection', async () => {
    sockets.clear();
    const r = await runPacedLoad({ url, connections: 5, rate: 20, seconds: 1, pick: () => ({ method: 'GET', path: '/' }) });
    expect(r.requests).toBe(20);
    expect(r.offeredRate).toBe(20);
    // The last request is due at 950 ms and takes 50 ms.
    expect(r.durationSeconds).toBeGreaterThanOrEqual(0.99);
    expect(sockets.size).toBe(5);
    // Not queued behind each other: each client sends every 250 ms, a request takes 50 ms.
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(DELAY_MS);
  });

  it('counts non-2xx answers overall and by kind', async () => {
    const r = await runPacedLoad({
      url,
      connections: 4,
      rate: 40,
      seconds: 0.5,
      pick: (i) => (i % 2 ? { kind: 'bad', method: 'GET', path: '/bad' } : { kind: 'good', method: 'GET', path: '/' }),
    });
    expect(r.requests).toBe(20);
    expect(r.non2xx).toBe(10);
    expect(r.statusCodes).toEqual({ 200: 10, 500: 10 });
    expect(r.byKind?.bad).toMatchObject({ requests: 10, non2xx: 10 });
    expect(r.byKind?.good).toMatchObject({ requests: 10, non2xx: 0 });
    expect(r.errorSamples?.[0]).toBe('bad 500 broken');
  });
});
