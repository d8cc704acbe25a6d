import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type RouteDefinition } from '../../shared/routes.js';
import { file, tgzOf } from '../support/archives.js';
import { ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

// Every entry of the route table, fed what a careless or hostile client sends: malformed and
// truncated bodies, wrong content types, control characters, oversized and deeply nested values,
// hostile path parameters and headers, aborted uploads; as anonymous, as a plain user and as an
// admin. Whatever the answer, it is never a 5xx, an API error is always JSON with a string `error` (a page error an HTML page),
// and the server keeps answering.

let api: TestServer;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** Errors the process would otherwise die of (vitest reports them too; this names them in the test). */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

type Caller = 'anonymous' | 'user' | 'admin';
const CALLERS: Caller[] = ['anonymous', 'user', 'admin'];
const tokens: Record<Caller, string | undefined> = { anonymous: undefined, user: undefined, admin: undefined };
let users = 0;

interface Probe {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  label: string;
}

interface Reply {
  status: number;
  contentType: string;
  text: string;
}

function send(p: Probe, caller: Caller): Promise<Reply> {
  const headers: Record<string, string> = { ...p.headers };
  const token = tokens[caller];
  if (token && headers.authorization === undefined) headers.authorization = `Bearer ${token}`;
  if (p.body !== undefined) headers['content-length'] = String(Buffer.byteLength(p.body));
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${p.path}`, { method: p.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(p.body);
  });
}

/**
 * What is wrong with a reply, if anything. The web catalogue's pages (paths outside /v1/) answer
 * errors as pages: HTML with a heading saying what happened.
 */
function problemWith(r: Reply, path: string): string | undefined {
  if (r.status >= 500) return `answered ${r.status}`;
  if (r.status < 400) return undefined;
  if (!path.startsWith('/v1/')) {
    if (!/^text\/html\b/.test(r.contentType)) return `page error with Content-Type ${r.contentType || '(none)'}`;
    return /<h1>[^<]+<\/h1>/.test(r.text) ? undefined : 'error page without a heading';
  }
  if (!/^application\/json\b/.test(r.contentType)) return `error with Content-Type ${r.contentType || '(none)'}`;
  try {
    const body = JSON.parse(r.text) as { error?: unknown };
    return typeof body?.error === 'string' && body.error.length > 0 ? undefined : 'error body without a string "error"';
  } catch {
    return 'error body that is not JSON';
  }
}

const failures: string[] = [];

/** Sends every probe as every caller, a few at a time; records what breaks the rules. */
async function run(probes: Probe[], callers: Caller[] = CALLERS): Promise<number> {
  const jobs = probes.flatMap((p) => callers.map((c) => [p, c] as const));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const [p, caller] = jobs[next++]!;
      let problem: string | undefined;
      let reply: Reply | undefined;
      try {
        reply = await send(p, caller);
        problem = problemWith(reply, p.path);
      } catch (err) {
        problem = `request failed: ${(err as Error).message}`;
      }
      if (problem) {
        failures.push(`${caller} ${p.method} ${p.path.slice(0, 120)} [${p.label}]: ${problem}${reply ? ` ${reply.text.slice(0, 160)}` : ''}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return jobs.length;
}

/** Sessions end along the way (logout, deactivation): sign in again before each route. */
async function refreshTokens(): Promise<void> {
  if (!tokens.admin || (await send({ method: 'GET', path: '/v1/auth/profile', label: '' }, 'admin')).status !== 200) {
    tokens.admin = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
  }
  if (!tokens.user || (await send({ method: 'GET', path: '/v1/auth/profile', label: '' }, 'user')).status !== 200) {
    tokens.user = (await api.registerUser(`fuzz-user-${++users}`)).token;
  }
}

// ---- inputs ----

const PACKAGE = 'fuzz-pkg';
const VERSION = '1.0.0';
const REGISTRY = 'fuzzreg';
let archiveSha = '';
let tokenId = randomUUID();

/** A value each path parameter plausibly takes, so other parameters' hostile values reach deep. */
function plausible(route: RouteDefinition, param: string): string {
  switch (param) {
    case 'name':
      return PACKAGE;
    case 'scope':
      return `@${REGISTRY}`;
    case 'version':
      return VERSION;
    case 'registry':
      return REGISTRY;
    case 'username':
      return 'fuzz-nobody';
    case 'sha256':
      return archiveSha;
    case 'id':
      // Never the id of a real user: an admin deleting it would end this test's own sessions.
      return route.path.includes('/tokens/') ? tokenId : '999999';
    default:
      return 'x';
  }
}

/** Path segments as they appear in the URL (already percent-encoded where needed). */
const HOSTILE_SEGMENTS = [
  '%00',
  'a%00b',
  '%01%1F',
  '%7F',
  'a%0Ab',
  '%09',
  '%20',
  'x'.repeat(3000),
  '%C0%AF',
  '%FF%FE',
  '%ED%A0%80',
  '%ZZ',
  '%',
  '..',
  '%2E%2E%2F%2E%2E',
  'a%2Fb',
  '-1',
  '0',
  '1e309',
  '99999999999999999999999',
  "'%3B%20DROP%20TABLE%20x%3B--",
  '%F0%9F%92%A9',
  '%E2%80%AE',
  '@',
  '*',
  'NaN',
  '%5B%5D',
  '__proto__',
  'constructor',
];

function templates(route: RouteDefinition): string[] {
  return [route.path, ...(route.aliases ?? [])];
}

function fill(template: string, route: RouteDefinition, override: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => override[name] ?? encodeURIComponent(plausible(route, name)));
}

function pathProbes(route: RouteDefinition): Probe[] {
  const probes: Probe[] = [];
  for (const template of templates(route)) {
    for (const param of template.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)) ?? []) {
      for (const segment of HOSTILE_SEGMENTS) {
        probes.push({ method: route.method, path: fill(template, route, { [param]: segment }), label: `${param}=${segment.slice(0, 20)}` });
      }
    }
  }
  return probes;
}

const QUERIES = [
  'q=%00',
  'q=a%00b',
  `q=${'-'.repeat(60)}`,
  `q=${'-%20'.repeat(60)}`,
  `q=${'-%22'.repeat(60)}`,
  `q=${'!('.repeat(100)}`,
  `q=${'x'.repeat(300)}`,
  `q=${'%F0%9F%92%A9'.repeat(200)}`,
  'q=%FF%FE',
  'q=%ED%A0%80',
  'q=%ZZ',
  'q=a&q=b',
  'q[]=x',
  'tag=%00',
  `tag=${'t'.repeat(60)}`,
  'target=%01',
  'limit=abc',
  'limit=1e309',
  'limit=-1',
  'limit=0',
  'limit=99999999999999999999',
  'limit=0x10',
  'limit=%201',
  'limit=1.5',
  'limit=1&limit=2',
  'offset=-1',
  'offset=1e5',
  'offset=99999999999999999999',
  'offset=NaN',
  `${'%00'.repeat(10)}=1`,
];

function queryProbes(route: RouteDefinition): Probe[] {
  return QUERIES.map((query) => ({ method: route.method, path: `${fill(route.path, route)}?${query}`, label: `?${query.slice(0, 30)}` }));
}

const FIELDS = ['username', 'email', 'password', 'role', 'current_password', 'new_password', 'name', 'description', 'visibility', 'scopes', 'expires_in_days'];
const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const everyField = (value: string) => `{${FIELDS.map((f) => `"${f}":${value}`).join(',')}}`;
const JSON_TYPE = { 'content-type': 'application/json' };

function bodyProbes(route: RouteDefinition): Probe[] {
  const at = fill(route.path, route);
  const bodies: [string, string | Buffer, Record<string, string>?][] = [
    ['empty', ''],
    ['malformed', '{'],
    ['truncated', '{"username":"ro'],
    ['trailing garbage', '{} x'],
    ['null', 'null'],
    ['array', '[]'],
    ['string', '"x"'],
    ['number', '1e999'],
    ['raw NUL', '\u0000'],
    ['BOM', '\uFEFF{}'],
    ['binary', randomBytes(512)],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x22, 0x7d])],
    ['NUL everywhere', everyField('"a\\u0000b"')],
    ['controls everywhere', everyField('"a\\u0001\\u001fb"')],
    ['lone surrogates', everyField('"\\ud800"')],
    ['NUL key', '{"a\\u0000":1}'],
    ['long strings', everyField(JSON.stringify('x'.repeat(1000)))],
    ['one very long string', `{"description":${JSON.stringify('d'.repeat(15_000))}}`],
    ['numbers', everyField('1e308')],
    ['negative', everyField('-1')],
    ['arrays', everyField('[]')],
    ['objects', everyField('{}')],
    ['nulls', everyField('null')],
    ['booleans', everyField('true')],
    ['nested fields', everyField(deep(40))],
    ['deep body', deep(7000)],
    ['deep field', `{"description":${deep(7000)}}`],
    ['deep object', `${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}`],
    ['__proto__', '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"role":"admin"}}}'],
    ['duplicate keys', '{"role":"user","role":"admin","role":"root"}'],
    ['scopes', '{"name":"t","scopes":["read","read","publish","admin",null]}'],
    ['days', '{"name":"t","scopes":["read"],"expires_in_days":"1e400"}'],
    ['too large', `{"description":"${'x'.repeat(20_000)}"}`],
    ['text/plain', '{}', { 'content-type': 'text/plain' }],
    ['xml', '<a/>', { 'content-type': 'application/xml' }],
    ['form', 'a=b&c=%00', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['octet-stream', randomBytes(64), { 'content-type': 'application/octet-stream' }],
    ['json utf-16', Buffer.from('{"a":1}', 'utf16le'), { 'content-type': 'application/json; charset=utf-16' }],
    ['json+suffix', '{', { 'content-type': 'application/vnd.x+json' }],
    ['bad content type', '{}', { 'content-type': ';;;' }],
    ['multipart, no boundary', '{}', { 'content-type': 'multipart/form-data' }],
    ['multipart, empty boundary', '--\r\n', { 'content-type': 'multipart/form-data; boundary=' }],
    ['multipart, JSON body', '{}', { 'content-type': 'multipart/form-data; boundary=b' }],
    ['multipart ends in a part', '--b\r\nContent-Disposition: form-data; name="archive"; filename="a.tgz"\r\n\r\nabc', { 'content-type': 'multipart/form-data; boundary=b' }],
    ['multipart ends in headers', '--b\r\nContent-Disposition: form-data; name="manifest"', { 'content-type': 'multipart/form-data; boundary=b' }],
    ['multipart, bad part header', '--b\r\nContent-Disposition\r\n\r\nx\r\n--b--\r\n', { 'content-type': 'multipart/form-data; boundary=b' }],
    ['multipart, huge boundary', '--x\r\n', { 'content-type': `multipart/form-data; boundary=${'x'.repeat(5000)}` }],
  ];
  return bodies.map(([label, body, headers]) => ({ method: route.method, path: at, body, headers: headers ?? JSON_TYPE, label }));
}

const HEADER_VARIANTS: [string, Record<string, string>][] = [
  ['Basic auth', { authorization: 'Basic abc' }],
  ['Bearer alone', { authorization: 'Bearer' }],
  ['Bearer, two words', { authorization: 'Bearer a b' }],
  ['long bearer', { authorization: `Bearer ${'x'.repeat(8000)}` }],
  ['bad JWT', { authorization: 'Bearer a.b.c' }],
  ['JWT, alg none', { authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"1"}').toString('base64url')}.` }],
  ['bad API token', { authorization: 'Bearer rfh_0000000000000000000000000000000000000000' }],
  ['If-Match *', { 'if-match': '*' }],
  ['If-Match list', { 'if-match': '"v1", "v2", W/"v3", ,' }],
  ['If-Match garbage', { 'if-match': 'x'.repeat(2000) }],
  ['If-Match huge version', { 'if-match': '"v99999999999999999999"' }],
  ['If-None-Match', { 'if-none-match': '*' }],
  ['CloudFront address', { 'cloudfront-viewer-address': '%00:1' }],
  ['Origin', { origin: 'null' }],
  ['content-length and chunked', { 'transfer-encoding': 'chunked' }],
];

function headerProbes(route: RouteDefinition): Probe[] {
  const at = fill(route.path, route);
  const body = route.maxBodyBytes > 0 ? '{"description":"x"}' : undefined;
  return HEADER_VARIANTS.map(([label, headers]) => ({
    method: route.method,
    path: at,
    headers: { ...(body ? JSON_TYPE : {}), ...headers },
    // A chunked body without a length header: node:http frames it for us.
    body: label.includes('chunked') ? undefined : body,
    label,
  }));
}

/** A multipart form as `rfh publish` sends it, with any manifest and archive bytes. */
function form(parts: [string, string | Buffer][], boundary = 'fuzzboundary'): { headers: Record<string, string>; body: Buffer } {
  const chunks = parts.flatMap(([name, bytes]) => [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    Buffer.from(bytes),
    Buffer.from('\r\n'),
  ]);
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]) };
}

async function publishProbes(): Promise<Probe[]> {
  const manifest = { name: 'fuzz-new', version: '1.0.0', files: ['rules.md'] };
  const archiveWith = (m: string) => tgzOf([file('rulestack.json', m), file('rules.md', '# Rules\n')]);
  const good = await archiveWith(JSON.stringify(manifest));
  const manifests: [string, string][] = [
    ['manifest not JSON', '{'],
    ['manifest null', 'null'],
    ['manifest array', '[]'],
    ['manifest NUL field', JSON.stringify({ ...manifest, description: 'a\u0000b' })],
    ['manifest NUL key', `{"name":"fuzz-new","version":"1.0.0","a\\u0000":1}`],
    ['manifest lone surrogate', '{"name":"fuzz-new","version":"1.0.0","description":"\\udc00"}'],
    ['manifest controls', JSON.stringify({ ...manifest, license: '\u0001', files: ['a\u0007.md'], tags: ['\u001b[31m'] })],
    ['manifest deep field', `{"name":"fuzz-new","version":"1.0.0","files":["rules.md"],"x":${deep(20_000)}}`],
    ['manifest deep object', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
    ['manifest wrong types', JSON.stringify({ name: 1, version: [], description: {}, targets: 'x', tags: [1], files: [null], license: true })],
    ['manifest long values', JSON.stringify({ ...manifest, description: 'd'.repeat(60_000) })],
    ['manifest too large', JSON.stringify({ ...manifest, description: 'd'.repeat(70_000) })],
    ['manifest reserved name', JSON.stringify({ ...manifest, name: '@fuzzreg/owners' })],
    ['manifest other registry', JSON.stringify({ ...manifest, name: '@nowhere/x' })],
    ['manifest hostile version', JSON.stringify({ ...manifest, version: '1.0.0-\u0000' })],
  ];
  const probes: Probe[] = manifests.map(([label, m]) => {
    const { body, headers } = form([['manifest', m], ['archive', good]]);
    return { method: 'POST', path: '/v1/packages', headers, body, label };
  });
  const archives: [string, Buffer][] = [
    ['archive empty', Buffer.alloc(0)],
    ['archive garbage', randomBytes(2048)],
    ['archive truncated gzip', good.subarray(0, good.length >> 1)],
    ['archive not gzip', Buffer.from('# just text\n')],
    ['archive NUL manifest', await archiveWith(JSON.stringify({ ...manifest, description: 'a\u0000b' }))],
    ['archive deep manifest', await archiveWith(`{"name":"fuzz-new","version":"1.0.0","x":${deep(20_000)}}`)],
    ['archive manifest not JSON', await archiveWith('{')],
    ['archive NUL file name', await tgzOf([file('rulestack.json', JSON.stringify(manifest)), file('a\u0000.md', 'x')])],
  ];
  for (const [label, archive] of archives) {
    const { body, headers } = form([['manifest', JSON.stringify(manifest)], ['archive', archive]]);
    probes.push({ method: 'POST', path: '/v1/packages', headers, body, label });
  }
  const forms: [string, [string, string | Buffer][]][] = [
    ['no parts', []],
    ['manifest only', [['manifest', JSON.stringify(manifest)]]],
    ['archive only', [['archive', good]]],
    ['repeated parts', [['manifest', '{}'], ['manifest', '{}'], ['archive', good]]],
    ['unknown part', [['evil', 'x'], ['manifest', JSON.stringify(manifest)], ['archive', good]]],
    ['NUL part name', [['man\u0000ifest', 'x'], ['archive', good]]],
    ['many parts', Array.from({ length: 50 }, (_, i) => [`p${i}`, 'x'] as [string, string])],
  ];
  for (const [label, parts] of forms) {
    const { body, headers } = form(parts);
    probes.push({ method: 'POST', path: '/v1/packages', headers, body, label });
  }
  // The same well-formed form cut short at several points.
  const { body: whole, headers } = form([['manifest', JSON.stringify(manifest)], ['archive', good]]);
  for (const cut of [1, 10, 60, 120, 200, whole.length >> 1, whole.length - 30, whole.length - 3]) {
    probes.push({ method: 'POST', path: '/v1/packages', headers, body: whole.subarray(0, cut), label: `form cut at ${cut}` });
  }
  return probes;
}

const isPublish = (route: RouteDefinition) => route.method === 'POST' && route.path === '/v1/packages';

/**
 * Sends a request whose body is cut short: `framed` sends the cut body with a Content-Length that
 * matches it (the server reads all of it and answers); `length` and `chunked` announce more than
 * they send and then the client goes away mid-body.
 */
function truncatedBody(route: RouteDefinition, path: string, how: 'framed' | 'length' | 'chunked', caller: Caller): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(api.server.port, '127.0.0.1');
    const token = tokens[caller];
    const multipart = isPublish(route);
    const partial = multipart ? '--b\r\nContent-Disposition: form-data; name="archive"; filename="a.tgz"\r\n\r\n{"a":' : '{"description":"';
    const framing = how === 'framed' ? `Content-Length: ${partial.length}\r\nConnection: close\r\n` : how === 'length' ? 'Content-Length: 5000\r\n' : 'Transfer-Encoding: chunked\r\n';
    const chunk = how === 'chunked' ? `1000\r\n${partial}` : partial;
    const head =
      `${route.method} ${path} HTTP/1.1\r\nHost: localhost\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}` +
      `Content-Type: ${multipart ? 'multipart/form-data; boundary=b' : 'application/json'}\r\n${framing}\r\n`;
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => {
      if (how !== 'framed') return resolve(undefined);
      const text = Buffer.concat(received).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? '')?.[1] ?? 0);
      const contentType = /\r\ncontent-type: ([^\r]*)/i.exec(head ?? '')?.[1] ?? '';
      const problem = status === 0 ? 'no answer' : problemWith({ status, contentType, text: rest.join('\r\n\r\n') }, path);
      resolve(problem && `${caller} ${route.method} ${path} [${how} truncated body]: ${problem}`);
    });
    socket.write(head + chunk, () => {
      if (how !== 'framed') setTimeout(() => socket.destroy(), 20);
    });
  });
}

// ---- the test ----

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  api = await startTestServer();
  await refreshTokens();
  // Something real behind the plausible parameters, so hostile values meet existing rows too.
  const admin = tokens.admin!;
  expect((await api.call('POST', '/v1/registries', { token: admin, json: { name: REGISTRY } })).status).toBe(201);
  const manifest = JSON.stringify({ name: PACKAGE, version: VERSION, files: ['rules.md'] });
  const archive = await tgzOf([file('rulestack.json', manifest), file('rules.md', '# Rules\n')]);
  archiveSha = createHash('sha256').update(archive).digest('hex');
  const { body, headers } = form([['manifest', manifest], ['archive', archive]]);
  const published = await send({ method: 'POST', path: '/v1/packages', headers, body, label: '' }, 'admin');
  expect(published.status, published.text).toBe(201);
  const token = await api.call('POST', `/v1/registries/${REGISTRY}/tokens`, { token: admin, json: { name: 'fuzz', scopes: ['read'] } });
  expect(token.status, token.text).toBe(201);
  tokenId = token.body.id;
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  agent.destroy();
  await api?.close();
});

const health = async () => (await send({ method: 'GET', path: '/v1/health', label: '' }, 'anonymous')).status;

describe('every route of the table, fed malformed and hostile input', () => {
  it('never answers 5xx, always answers errors as JSON, and keeps answering', { timeout: 120_000 }, async () => {
    uncaught.length = 0;
    const started = Date.now();
    let sent = 0;
    const publishExtras = await publishProbes();
    for (const route of routes) {
      await refreshTokens();
      // Hostile path parameters and queries as anonymous and as an admin (who passes every role
      // check, so they reach the handlers); the plain user meets them in the other probes.
      sent += await run(pathProbes(route), ['anonymous', 'admin']);
      if (route.method === 'GET') sent += await run(queryProbes(route), ['anonymous', 'admin']);
      sent += await run(templates(route).map((t) => ({ method: route.method, path: fill(t, route), label: 'plausible path' })));
      sent += await run(headerProbes(route));
      sent += await run(bodyProbes(route));
      if (route.method === 'POST' && route.path === '/v1/packages') sent += await run(publishExtras);
      expect(await health(), `after ${route.method} ${route.path}`).toBe(200);
    }
    // Methods and paths outside the table.
    await refreshTokens();
    sent += await run([
      { method: 'PROPFIND', path: '/v1/health', label: 'unknown method' },
      { method: 'GET', path: '/v1/%00', label: 'NUL path' },
      { method: 'GET', path: '/v1/packages/%E0%A4%A', label: 'broken escape' },
      { method: 'GET', path: `/v1/${'a/'.repeat(2000)}`, label: 'many segments' },
      { method: 'GET', path: '//v1//health', label: 'double slashes' },
    ]);
    const seconds = (Date.now() - started) / 1000;
    expect(failures, `${failures.length} of ${sent} requests broke the rules in ${seconds}s:\n${failures.slice(0, 40).join('\n')}`).toEqual([]);
    expect(uncaught).toEqual([]);
    expect(await health()).toBe(200);
  });

  it('answers bodies cut short and survives bodies the client abandons mid-way, on every route', { timeout: 60_000 }, async () => {
    uncaught.length = 0;
    await refreshTokens();
    const problems: string[] = [];
    for (const route of routes) {
      await refreshTokens();
      const sent: Promise<string | undefined>[] = [];
      for (const template of templates(route)) {
        for (const caller of CALLERS) {
          for (const how of ['framed', 'length', 'chunked'] as const) sent.push(truncatedBody(route, fill(template, route), how, caller));
        }
      }
      for (const problem of await Promise.all(sent)) if (problem) problems.push(problem);
    }
    // Give the server a moment to see every reset.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(problems).toEqual([]);
    expect(uncaught).toEqual([]);
    expect(await health()).toBe(200);
    await refreshTokens();
    expect((await send({ method: 'GET', path: '/v1/auth/profile', label: '' }, 'user')).status).toBe(200);
  });
});
