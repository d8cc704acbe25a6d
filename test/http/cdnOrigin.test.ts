import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedSecret, type SecretVersions } from '../../shared/auth/rotatingSecret.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

// Per-client limits and the CDN's origin secret, through the real local server.
let api: TestServer;

beforeAll(async () => {
  api = await startTestServer({ env: { RFH_RATE_LIMIT: 'on' } });
});
afterAll(async () => {
  await api?.close();
});

describe('CloudFront-Viewer-Address', () => {
  it('cannot reset the per-client limits: without the CDN it is ignored', async () => {
    // change-password allows 20 a minute per client; the limit applies before authentication.
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const r = await api.call('POST', '/v1/auth/change-password', { headers: { 'cloudfront-viewer-address': `198.51.100.${i}:1234` } });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});

describe('behind the CDN (an origin secret configured)', () => {
  const secret = 'cdn-origin-secret-for-tests-0123456789';
  beforeAll(() => {
    api.server.runtime.deps.originSecret = fixedSecret(secret);
  });
  afterAll(() => {
    delete api.server.runtime.deps.originSecret;
  });

  it('refuses requests that did not come through it (calling API Gateway directly)', async () => {
    for (const headers of [{}, { 'x-origin-verify': 'wrong' }, { 'cloudfront-viewer-address': '203.0.113.9:1' }] as Array<Record<string, string>>) {
      const r = await api.call('GET', '/v1/health', { headers });
      expect(r.status).toBe(403);
      expect(r.body.error).toMatch(/public URL/);
    }
    expect((await api.call('GET', '/v1/health', { headers: { 'x-origin-verify': secret } })).status).toBe(200);
  });

  it('records the viewer address it passes on (sessions, limits)', async () => {
    const r = await api.call('POST', '/v1/auth/register', {
      json: { username: 'cdn-viewer', email: 'cdn-viewer@example.com', password: 'correct horse battery' },
      headers: { 'x-origin-verify': secret, 'cloudfront-viewer-address': '[2001:db8::7]:443' },
    });
    expect(r.status).toBe(201);
    const sessions = await api.call('GET', '/v1/auth/sessions', { token: r.body.token, headers: { 'x-origin-verify': secret } });
    expect(sessions.body.sessions[0].client_address).toBe('2001:db8::7');
  });
});

describe('behind the CDN while its origin secret rotates', () => {
  const current = 'cdn-origin-secret-after-rotation-0123456789';
  const previous = 'cdn-origin-secret-before-rotation-012345678';
  let versions: SecretVersions = { current, previous: { value: previous, replacedAt: Date.now() } };
  beforeAll(() => {
    api.server.runtime.deps.originSecret = { versions: async () => versions, staleMs: 0 };
  });
  afterAll(() => {
    delete api.server.runtime.deps.originSecret;
  });

  it('accepts the current and, within the grace period, the previous value; after it, only the current one', async () => {
    const health = (secret: string) => api.call('GET', '/v1/health', { headers: { 'x-origin-verify': secret } });
    expect((await health(current)).status).toBe(200);
    expect((await health(previous)).status).toBe(200);
    expect((await health('cdn-origin-secret-of-nobody-0123456789abcd')).status).toBe(403);
    versions = { current };
    expect((await health(current)).status).toBe(200);
    expect((await health(previous)).status).toBe(403);
  });
});
