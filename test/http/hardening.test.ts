import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { file, packageArchive, tgzOf } from '../support/archives.js';
import { ROOT_PASSWORD, startTestServer, type ApiReply, type TestServer } from '../support/testServer.js';

// Client mistakes that used to crash the process or answer 500: each must be a 4xx JSON error.

let api: TestServer;
let rootToken: string;
let publisherToken: string;
let userToken: string;

/** Errors the process would otherwise die of; vitest reports them too, this makes the test say so. */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

/** Sends bytes over a fresh connection exactly as given and returns the raw response text. */
function rawRequest(head: string, body: string | Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(api.server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [status, ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(status ?? '')?.[1] ?? 0), body: rest.join('\r\n\r\n') });
    });
    // Written without ending our side: the server answers, then closes (Connection: close).
    socket.write(head);
    socket.write(body);
  });
}

function expectJsonError(r: Pick<ApiReply, 'status' | 'body' | 'text'>, status: number, message?: RegExp) {
  expect(r.status, r.text).toBe(status);
  expect(typeof r.body?.error, r.text).toBe('string');
  if (message) expect(r.body.error).toMatch(message);
}

/** A multipart publish body as `rfh publish` builds it. */
function publishForm(manifest: string, archive: Uint8Array): FormData {
  const form = new FormData();
  form.append('manifest', new Blob([manifest], { type: 'application/octet-stream' }), 'rulestack.json');
  form.append('archive', new Blob([Buffer.from(archive)], { type: 'application/octet-stream' }), 'package.tgz');
  return form;
}

async function publishRaw(token: string, manifest: string, archive: Uint8Array) {
  const res = await fetch(`${api.url}/v1/packages`, { method: 'POST', body: publishForm(manifest, archive), headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

const blobStored = async (archive: Uint8Array) =>
  (await api.server.runtime.deps.blobs.download(createHash('sha256').update(archive).digest('hex'))) !== null;

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  api = await startTestServer();
  rootToken = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
  const pub = await api.call('POST', '/v1/auth/register', {
    token: rootToken,
    json: { username: 'harden-pub', email: 'harden-pub@example.com', password: 'correct horse battery', role: 'publisher' },
  });
  publisherToken = pub.body.token;
  userToken = (await api.registerUser('harden-user')).token;
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await api?.close();
});

describe('multipart publish that ends inside a part', () => {
  it('answers 400 JSON to a plain user, throws nothing unhandled, and the server keeps answering', async () => {
    const body = '--b\r\nContent-Disposition: form-data; name="archive"; filename="a.tgz"\r\n\r\nabc';
    const head =
      'POST /v1/packages HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n' +
      `Authorization: Bearer ${userToken}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await rawRequest(head, body);
    expect(r.status, r.body).toBe(400);
    expect(JSON.parse(r.body).error).toMatch(/multipart/i);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(uncaught).toEqual([]);
    expect((await api.call('GET', '/v1/health')).status).toBe(200);
  });

  it('also for a truncated manifest part and for a publisher', async () => {
    const body = '--b\r\nContent-Disposition: form-data; name="manifest"; filename="rulestack.json"\r\n\r\n{"name":';
    const head =
      'POST /v1/packages HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n' +
      `Authorization: Bearer ${publisherToken}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await rawRequest(head, body);
    expect(r.status, r.body).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(uncaught).toEqual([]);
  });
});

describe('NUL and other control characters', () => {
  it('in a login name: 400, also for anonymous callers', async () => {
    const r = await api.call('POST', '/v1/auth/login', { json: { username: 'a\u0000b', password: 'whatever-password' } });
    expectJsonError(r, 400, /username.*control character/);
  });

  it('in registration fields and object keys: 400', async () => {
    const r = await api.call('POST', '/v1/auth/register', { json: { username: 'nul-user', email: 'nul@example.com', password: 'pass\u0000word' } });
    expectJsonError(r, 400, /password.*control character/);
    const k = await api.call('POST', '/v1/auth/login', { json: { username: 'x', password: 'y', 'bad\u0000key': 1 } });
    expectJsonError(k, 400, /control character/);
  });

  it('in the search query: 400', async () => {
    for (const query of ['q=%00', 'q=abc%00', 'tag=%00', 'target=a%00']) {
      expectJsonError(await api.call('GET', `/v1/packages?${query}`), 400, /control character/);
    }
  });

  it('in path parameters: 400 on every kind of route', async () => {
    expectJsonError(await api.call('GET', '/v1/registries/a%00b'), 400, /registry.*control character/);
    expectJsonError(await api.call('GET', '/v1/packages/a%00b'), 400, /name.*control character/);
    expectJsonError(await api.call('GET', '/v1/packages/@a%00/b/versions/1.0.0'), 400, /control character/);
    expectJsonError(await api.call('PUT', '/v1/admin/users/a%00b/role', { token: rootToken, json: { role: 'user' } }), 400, /username/);
    expectJsonError(await api.call('DELETE', '/v1/registries/default/tokens/%00', { token: userToken }), 400);
  });

  it('in a registry description and an API token name: 400', async () => {
    const r = await api.call('POST', '/v1/registries', { token: publisherToken, json: { name: 'nulreg', description: 'a\u0000b' } });
    expectJsonError(r, 400, /description.*control character/);
    const t = await api.call('POST', '/v1/registries/default/tokens', { token: userToken, json: { name: 'ci\u0000', scopes: ['read'] } });
    expectJsonError(t, 400, /name.*control character/);
    // A token name is one line: no line breaks or tabs either.
    const nl = await api.call('POST', '/v1/registries/default/tokens', { token: userToken, json: { name: 'ci\nbuild', scopes: ['read'] } });
    expectJsonError(nl, 400, /name/);
  });

  it('in manifest fields: 400 before the archive is stored', async () => {
    const archive = await packageArchive('nul-pkg', '1.0.0');
    for (const extra of [{ description: 'a\u0000b' }, { license: 'MIT\u0000' }, { files: ['rules.md\u0000'] }, { 'x\u0000': 1 }]) {
      const manifest = JSON.stringify({ name: 'nul-pkg', version: '1.0.0', files: ['rules.md'], ...extra });
      const r = await publishRaw(publisherToken, manifest, archive);
      expectJsonError(r, 400, /manifest.*control character/);
    }
    expect(await blobStored(archive)).toBe(false);
  });

  it('lone UTF-16 surrogates in manifest fields and keys: 400 before the archive is stored', async () => {
    const archive = await packageArchive('surrogate-pkg', '1.0.0');
    for (const extra of ['"description":"a\\ud800b"', '"x":"\\udc00"', '"\\ud800":1']) {
      const manifest = `{"name":"surrogate-pkg","version":"1.0.0","files":["rules.md"],${extra}}`;
      expectJsonError(await publishRaw(publisherToken, manifest, archive), 400, /manifest.*Unicode/);
    }
    expect(await blobStored(archive)).toBe(false);
  });
});

describe('deeply nested JSON', () => {
  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('a manifest field nested 20,000 levels deep: 400 before the archive is stored', async () => {
    const archive = await packageArchive('deep-pkg', '1.0.0');
    const manifest = `{"name":"deep-pkg","version":"1.0.0","files":["rules.md"],"extra":${deep(20_000)}}`;
    const r = await publishRaw(publisherToken, manifest, archive);
    expectJsonError(r, 400, /manifest.*nested/);
    expect(await blobStored(archive)).toBe(false);
    expect((await api.call('GET', '/v1/health')).status).toBe(200);
  });

  it('a request body nested beyond the bound: 400', async () => {
    const r = await api.call('POST', '/v1/auth/login', {
      body: `{"username":"root","password":"x","extra":${deep(5000)}}`,
      headers: { 'content-type': 'application/json' },
    });
    expectJsonError(r, 400, /nested/);
    // Ordinary nesting is fine.
    const ok = await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD, extra: [[[1]]] } });
    expect(ok.status).toBe(200);
  });
});

describe('search text PostgreSQL cannot parse as given', () => {
  it('runs of hyphens and negations search instead of failing', async () => {
    for (const q of ['-'.repeat(60), '- '.repeat(60), '-"'.repeat(60), '-!'.repeat(60), `a${'-'.repeat(100)}`]) {
      const r = await api.call('GET', `/v1/packages?q=${encodeURIComponent(q)}`);
      expect(r.status, `${q}: ${r.text}`).toBe(200);
      expect(Array.isArray(r.body)).toBe(true);
    }
  });

  it('hyphenated names and negated words still search', async () => {
    // The archive carries the very manifest sent along with it.
    const manifest = JSON.stringify({ name: 'secure-hyphen-rules', version: '1.0.0', description: 'security rules', files: ['rules.md'] });
    const archive = await tgzOf([file('rulestack.json', manifest), file('rules.md', '# Rules\n')]);
    const published = await publishRaw(publisherToken, manifest, archive);
    expect(published.status, published.text).toBe(201);
    const exact = await api.call('GET', '/v1/packages?q=secure-hyphen-rules');
    expect(exact.body[0]?.name).toBe('secure-hyphen-rules');
    const negated = await api.call('GET', '/v1/packages?q=security%20-nothing');
    expect(negated.status).toBe(200);
    expect(negated.body.map((p: { name: string }) => p.name)).toContain('secure-hyphen-rules');
  });
});

describe('a malformed Authorization header', () => {
  it('is ignored on public routes', async () => {
    for (const authorization of ['Basic abc', 'Bearer', 'Bearer a b', 'garbage']) {
      const headers = { authorization };
      expect((await api.call('GET', '/v1/health', { headers })).status).toBe(200);
      expect((await api.call('GET', '/v1/packages', { headers })).status).toBe(200);
      expect((await api.call('GET', '/v1/registries', { headers })).status).toBe(200);
      expect((await api.call('GET', '/v1/openapi.json', { headers })).status).toBe(200);
      const login = await api.call('POST', '/v1/auth/login', { headers, json: { username: 'root', password: ROOT_PASSWORD } });
      expect(login.status).toBe(200);
    }
  });

  it('is still a 401 where a signed-in user is required', async () => {
    for (const authorization of ['Basic abc', 'Bearer', 'Bearer a b']) {
      expectJsonError(await api.call('GET', '/v1/auth/profile', { headers: { authorization } }), 401);
      expectJsonError(await api.call('POST', '/v1/registries', { headers: { authorization }, json: { name: 'x' } }), 401);
    }
  });
});

describe('If-Match on PATCH /v1/registries/{registry}', () => {
  let etag: string;
  beforeAll(async () => {
    const r = await api.call('POST', '/v1/registries', { token: publisherToken, json: { name: 'matchreg' } });
    expect(r.status).toBe(201);
    etag = r.headers.get('etag')!;
  });

  const patch = (ifMatch: string, description: string) =>
    api.call('PATCH', '/v1/registries/matchreg', { token: publisherToken, json: { description }, headers: { 'if-match': ifMatch } });

  it('"*" matches the current version', async () => {
    const r = await patch('*', 'star');
    expect(r.status, r.text).toBe(200);
    expect(r.body.description).toBe('star');
    etag = r.headers.get('etag')!;
  });

  it('a list of ETags matches when one of them is current', async () => {
    const r = await patch(`"v999", ${etag}, W/"v998"`, 'listed');
    expect(r.status, r.text).toBe(200);
    expect(r.body.description).toBe('listed');
    etag = r.headers.get('etag')!;
  });

  it('a list without the current ETag, a stale ETag or garbage: 412', async () => {
    expectJsonError(await patch('"v999", "v998"', 'x'), 412);
    expectJsonError(await patch('"v1"', 'x'), 412);
    expectJsonError(await patch('nonsense', 'x'), 412);
    expectJsonError(await patch(',', 'x'), 412);
  });
});
