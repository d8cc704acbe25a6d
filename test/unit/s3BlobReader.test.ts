import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3BlobReader, createS3BlobReader, type HeadSender, type S3BlobReaderOptions } from '../../shared/adapters/s3/S3BlobReader.js';
import { S3BlobStore } from '../../shared/adapters/s3/S3BlobStore.js';
import { StoreUnavailableError } from '../../shared/errors.js';
import { GuardedBlobReader } from '../../shared/resilience/GuardedBlobStore.js';
import { createStoreGuards } from '../../shared/resilience/storeGuards.js';

// The read-only S3 adapter request by request: against a local HTTP server standing in for S3,
// with every signature checked by an independent SigV4 implementation (below), and its download
// URLs compared with the ones the SDK's presigner makes for S3BlobStore.

const hash = 'ab'.padEnd(64, '0');
const KEY = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

// --- SigV4 as AWS documents it, written out here so that the adapter is not checked against itself.
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
function signature(secret: string, amzDate: string, scope: string, canonicalRequest: string): string {
  const [date, region, service] = scope.split('/') as [string, string, string];
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}
const canonicalQuery = (params: URLSearchParams, skip?: string) =>
  [...params.entries()]
    .filter(([k]) => k !== skip)
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');

/** Checks a request signed in its Authorization header; answers the credential scope. */
function verifyHeaderSignature(req: { method: string; url: string; headers: Record<string, string | string[] | undefined> }, secret: string): string {
  const auth = String(req.headers.authorization);
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  expect(m, auth).not.toBeNull();
  const [, , scope, signedHeaders, sig] = m!;
  const url = new URL(req.url, 'http://placeholder');
  const names = signedHeaders!.split(';');
  expect(names).toContain('host');
  const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n]).trim()}\n`).join('');
  const payload = String(req.headers['x-amz-content-sha256']);
  const canonical = [req.method, url.pathname, canonicalQuery(url.searchParams), canonicalHeaders, signedHeaders, payload].join('\n');
  expect(sig).toBe(signature(secret, String(req.headers['x-amz-date']), scope!, canonical));
  return scope!;
}

/** Checks a presigned URL's query-string signature (the host its one signed header). */
function verifyPresignedUrl(href: string, secret: string): URL {
  const url = new URL(href);
  const q = url.searchParams;
  expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
  expect(q.get('X-Amz-SignedHeaders')).toBe('host');
  const scope = q.get('X-Amz-Credential')!.split('/').slice(1).join('/');
  const canonical = [
    'GET',
    url.pathname,
    canonicalQuery(q, 'X-Amz-Signature'),
    `host:${url.host}\n`,
    'host',
    q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
  expect(q.get('X-Amz-Signature')).toBe(signature(secret, q.get('X-Amz-Date')!, scope, canonical));
  return url;
}

// --- A local server standing in for S3: answers each request with the next status of a script.
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}
let server: Server;
let endpoint: string;
const seen: Seen[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(200).end();

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
const readers: S3BlobReader[] = [];
afterEach(() => {
  seen.length = 0;
  answer = (_req, res) => res.writeHead(200).end();
  vi.useRealTimers();
  for (const r of readers.splice(0)) r.destroy();
});

const reader = (options: Partial<S3BlobReaderOptions> = {}) => {
  const r = new S3BlobReader({ bucket: 'bkt', region: 'eu-west-1', credentials: KEY, endpoint, ...options });
  readers.push(r);
  return r;
};
/** Answers statuses in turn (the last one from then on). */
const statuses = (...codes: number[]) => {
  let i = 0;
  answer = (_req, res) => res.writeHead(codes[Math.min(i++, codes.length - 1)]!, { 'x-amz-request-id': `req-${i}` }).end();
};

describe('S3BlobReader requests', () => {
  it('downloads: a signed HEAD of the archive key, then a GET URL presigned for it', async () => {
    const d = await reader({ credentials: { ...KEY, sessionToken: 'SESSION' } }).download(hash);
    expect(seen).toHaveLength(1);
    const head = seen[0]!;
    expect(head.method).toBe('HEAD');
    expect(head.url).toBe(`/bkt/archives/ab/${hash}.tgz`);
    expect(head.headers['x-amz-content-sha256']).toBe(EMPTY_SHA256);
    expect(head.headers['x-amz-security-token']).toBe('SESSION');
    const scope = verifyHeaderSignature(head, KEY.secretAccessKey);
    expect(scope).toMatch(/^\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(String(head.headers.authorization)).toContain('x-amz-security-token');

    expect(d?.kind).toBe('redirect');
    const url = verifyPresignedUrl((d as { url: string }).url, KEY.secretAccessKey);
    expect(`${url.protocol}//${url.host}`).toBe(endpoint);
    expect(url.pathname).toBe(`/bkt/archives/ab/${hash}.tgz`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('response-content-type')).toBe('application/gzip');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('SESSION');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
  });

  it('pings with a signed HEAD of the bucket', async () => {
    await reader().ping();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['HEAD /bkt']);
    verifyHeaderSignature(seen[0]!, KEY.secretAccessKey);
  });

  it('keeps the prefix and expiry it is given', async () => {
    const d = await reader({ prefix: 'p/', downloadUrlSeconds: 60 }).download(hash);
    expect(seen[0]!.url).toBe(`/bkt/p/ab/${hash}.tgz`);
    const url = new URL((d as { url: string }).url);
    expect(url.pathname).toBe(`/bkt/p/ab/${hash}.tgz`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
  });

  it('refuses a hash that is not 64 lowercase hex characters, asking nothing', async () => {
    await expect(reader().download('../etc/passwd')).rejects.toThrow(/Invalid blob hash/);
    expect(seen).toEqual([]);
  });
});

describe('S3BlobReader answers: as S3BlobStore does', () => {
  it('null for a missing archive (HEAD 404)', async () => {
    statuses(404);
    expect(await reader().download(hash)).toBeNull();
    expect(seen).toHaveLength(1);
  });

  it.each([
    ['SlowDown (503)', 503],
    ['InternalError (500)', 500],
    ['429', 429],
    ['502', 502],
  ])('%s: retried, three attempts in all, then StoreUnavailableError(blobs)', async (_, status) => {
    statuses(status);
    const err = await reader().download(hash).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).store).toBe('blobs');
    expect(seen).toHaveLength(3);
    statuses(status);
    await expect(reader().ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('a failure that passes: retried, then the download', async () => {
    statuses(500, 503, 200);
    const d = await reader().download(hash);
    expect(d?.kind).toBe('redirect');
    expect(seen).toHaveLength(3);
  });

  it.each([
    ['access denied (403)', 403, 'AccessDenied'],
    ['a bucket in another region (301)', 301, 'PermanentRedirect'],
    ['a bad request (400)', 400, 'BadRequest'],
  ])('%s: thrown as it is (a 500), never retried, and not counted by the breaker', async (_, status, name) => {
    statuses(status);
    const err = await reader().download(hash).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(StoreUnavailableError);
    expect(err).toMatchObject({ name, $fault: 'client', $metadata: { httpStatusCode: status, requestId: 'req-1' } });
    expect(seen).toHaveLength(1);

    const guards = createStoreGuards();
    const guarded = new GuardedBlobReader(reader(), guards.blobs);
    for (let i = 0; i < 8; i++) await expect(guarded.download(hash)).rejects.toMatchObject({ name });
    expect(guards.blobs.state).toBe('closed');
    expect(guards.blobs.stats.failures).toBe(0);
  });

  it('a missing bucket fails the probe (not unavailable: a misconfiguration)', async () => {
    statuses(404);
    const err = await reader().ping().catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(StoreUnavailableError);
    expect(err).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  });

  it('an S3 that never answers: each attempt ends at its timeout, then StoreUnavailableError', async () => {
    answer = () => {}; // holds every request open
    const started = Date.now();
    const err = await reader({ timeouts: { connectTimeoutMs: 200, requestTimeoutMs: 200 } }).download(hash).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(seen).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(3_000);
    server.closeAllConnections();
  });

  it('an endpoint where nothing listens: StoreUnavailableError', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const dead = reader({ endpoint: `http://127.0.0.1:${port}` });
    await expect(dead.download(hash)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(dead.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('missing credentials: a 500 (thrown as it is), not unavailable', async () => {
    const r = reader({
      credentials: async () => {
        throw Object.assign(new Error('Unable to find environment variable credentials.'), { name: 'CredentialsProviderError' });
      },
    });
    const err = await r.download(hash).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(StoreUnavailableError);
    expect(err).toMatchObject({ name: 'CredentialsProviderError' });
    expect(seen).toEqual([]);
  });
});

describe('S3BlobReader URLs are the SDK presigner’s', () => {
  const s3 = mockClient(S3Client);
  afterAll(() => s3.restore());
  /** A HEAD that always finds the object, without a network. */
  const found: HeadSender = {
    handle: async () => ({ response: { statusCode: 200, reason: 'OK', headers: {}, body: undefined } }),
    destroy: () => {},
  };

  it.each([
    ['a bucket in a region, with a session token', 'rfh-archives-1a2b', 'eu-west-1', { ...KEY, sessionToken: 'SESSION' }, {}],
    ['us-east-1', 'rfh-archives', 'us-east-1', KEY, { downloadUrlSeconds: 120 }],
    ['a bucket name with dots (path style)', 'my.dotted.bucket', 'eu-central-1', KEY, {}],
    ['a key prefix', 'rfh-archives', 'eu-west-1', KEY, { prefix: 'other/' }],
  ] as const)('%s', async (_, bucket, region, credentials, options) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T12:34:56Z'));
    s3.reset();
    s3.on(HeadObjectCommand).resolves({});
    const sdk = new S3BlobStore(new S3Client({ region, credentials }), bucket, options);
    const light = reader({ bucket, region, credentials, endpoint: undefined, requestHandler: found, ...options });
    const expected = (await sdk.download(hash)) as { url: string };
    const actual = (await light.download(hash)) as { url: string };
    expect(actual.url).toBe(expected.url);
    verifyPresignedUrl(actual.url, KEY.secretAccessKey);
  });

  it('at an endpoint (s3rver), path style with the emulator key, as createS3Client', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T12:34:56Z'));
    s3.reset();
    s3.on(HeadObjectCommand).resolves({});
    const { createS3Client } = await import('../../shared/adapters/s3/S3BlobStore.js');
    const env = { S3_ENDPOINT: 'http://127.0.0.1:4569', BLOBS_BUCKET: 'rfh-blobs' };
    const expected = (await new S3BlobStore(createS3Client(env), 'rfh-blobs').download(hash)) as { url: string };
    const light = createS3BlobReader(env, { requestHandler: found });
    expect(((await light.download(hash)) as { url: string }).url).toBe(expected.url);
  });
});

describe('createS3BlobReader', () => {
  it('needs the bucket, and a region unless at an endpoint', () => {
    expect(() => createS3BlobReader({ AWS_REGION: 'eu-west-1' })).toThrow(/BLOBS_BUCKET/);
    expect(() => createS3BlobReader({ BLOBS_BUCKET: 'b' })).toThrow(/AWS_REGION/);
    expect(createS3BlobReader({ BLOBS_BUCKET: 'b', S3_ENDPOINT: 'http://127.0.0.1:1' })).toBeInstanceOf(S3BlobReader);
  });

  it('signs with the credentials Lambda puts in the environment, under BLOBS_PREFIX', async () => {
    const keys = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;
    const saved = keys.map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'secret-from-env', AWS_SESSION_TOKEN: 'token-from-env' });
    try {
      // S3 itself (no endpoint): the HEAD is caught before it leaves, to look at its signature.
      const sent: Seen[] = [];
      const capture: HeadSender = {
        handle: async (request) => {
          sent.push({ method: request.method, url: request.path, headers: request.headers });
          return { response: { statusCode: 200, reason: 'OK', headers: {}, body: undefined } };
        },
        destroy: () => {},
      };
      const r = createS3BlobReader({ BLOBS_BUCKET: 'bkt', AWS_REGION: 'eu-west-1', BLOBS_PREFIX: 'archives/' }, { requestHandler: capture });
      const d = (await r.download(hash)) as { url: string };
      expect(sent[0]!.url).toBe(`/archives/ab/${hash}.tgz`);
      expect(sent[0]!.headers.host).toBe('bkt.s3.eu-west-1.amazonaws.com');
      expect(sent[0]!.headers['x-amz-security-token']).toBe('token-from-env');
      verifyHeaderSignature(sent[0]!, 'secret-from-env');
      const url = verifyPresignedUrl(d.url, 'secret-from-env');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDFROMENV\//);
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
