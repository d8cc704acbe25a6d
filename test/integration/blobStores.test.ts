import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobReader, createS3BlobReader } from '../../shared/adapters/s3/S3BlobReader.js';
import { S3BlobStore, createS3Client } from '../../shared/adapters/s3/S3BlobStore.js';
import type { BlobReader, BlobStore } from '../../shared/ports/BlobStore.js';
import { FsBlobStore, STAGING_DIR } from '../../scripts/local/FsBlobStore.js';
import { StoreUnavailableError } from '../../shared/errors.js';

// The BlobStore contract, against the local disk and against S3 emulated by s3rver over HTTP; the
// read side of it also against S3BlobReader, the read-only adapter of the health and download routes.

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => S3rverInstance;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const blob = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return { bytes, hash: sha256(bytes) };
};

interface Engine {
  name: string;
  store: BlobStore;
  /** The stored bytes, however the store hands them out. */
  read(hash: string): Promise<Uint8Array | null>;
  /** The names of staged copies (none between publishes). */
  staged(): Promise<string[]>;
}

const temps: string[] = [];
const tempDir = async (label: string) => {
  const dir = await mkdtemp(join(tmpdir(), `rfh-${label}-`));
  temps.push(dir);
  return dir;
};

let fsRoot: string;
let s3rver: S3rverInstance;
let s3: S3Client;
let s3Endpoint: string;
let reader: S3BlobReader;
const engines: Record<'fs' | 's3', Engine> = {} as Record<'fs' | 's3', Engine>;
const bucket = 'rfh-blobs-test';
const lastUrls: string[] = [];

beforeAll(async () => {
  fsRoot = await tempDir('fsblobs');
  const fsStore = new FsBlobStore(join(fsRoot, 'blobs')); // a root that does not exist yet
  engines.fs = {
    name: 'FsBlobStore',
    store: fsStore,
    async read(hash) {
      const d = await fsStore.download(hash);
      if (!d) return null;
      if (d.kind !== 'bytes') throw new Error('FsBlobStore must answer with bytes');
      return new Uint8Array(d.bytes); // a Buffer, which toEqual tells from a plain Uint8Array
    },
    staged: () => readdir(join(fsRoot, 'blobs', STAGING_DIR)).catch(() => []),
  };

  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: await tempDir('s3rver') });
  const { port } = await s3rver.run();
  s3Endpoint = `http://127.0.0.1:${port}`;
  s3 = createS3Client({ S3_ENDPOINT: s3Endpoint });
  reader = createS3BlobReader({ S3_ENDPOINT: s3Endpoint, BLOBS_BUCKET: bucket });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const s3Store = new S3BlobStore(s3, bucket, { downloadUrlSeconds: 120 });
  engines.s3 = {
    name: 'S3BlobStore on s3rver',
    store: s3Store,
    async read(hash) {
      const d = await s3Store.download(hash);
      if (!d) return null;
      if (d.kind !== 'redirect') throw new Error('S3BlobStore must answer with a redirect');
      lastUrls.push(d.url);
      const res = await fetch(d.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/gzip');
      return new Uint8Array(await res.arrayBuffer());
    },
    staged: async () => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'staging/' }))).Contents ?? []).map((o) => o.Key!),
  };
});

afterAll(async () => {
  s3?.destroy();
  reader?.destroy();
  if (s3rver) {
    const closed = s3rver.close();
    s3rver.httpServer?.closeAllConnections(); // fetch's keep-alive sockets would hold close open
    await closed;
  }
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

describe.each(['fs', 's3'] as const)('BlobStore contract: %s', (which) => {
  const engine = () => engines[which];

  it('answers ping', async () => {
    await expect(engine().store.ping()).resolves.toBeUndefined();
  });

  it('gives back the bytes it was given', async () => {
    const { bytes, hash } = blob(`archive one ${which}`);
    await engine().store.put(hash, bytes);
    expect(await engine().read(hash)).toEqual(bytes);
  });

  it('reads the bytes back through the process (read), and null for a hash it does not hold', async () => {
    const { bytes, hash } = blob(`read through ${which}`);
    await engine().store.put(hash, bytes);
    expect(Buffer.from((await engine().store.read(hash))!)).toEqual(Buffer.from(bytes));
    expect(await engine().store.read(sha256(new TextEncoder().encode('never put')))).toBeNull();
  });

  it('answers null for a hash it does not hold', async () => {
    expect(await engine().store.download('0'.repeat(64))).toBeNull();
    expect(await engine().read(sha256(new TextEncoder().encode('never stored')))).toBeNull();
  });

  it('never overwrites: a second put of the hash with other bytes leaves the first', async () => {
    const first = blob(`archive two ${which}`);
    await engine().store.put(first.hash, first.bytes);
    await engine().store.put(first.hash, new TextEncoder().encode('impostor bytes'));
    await engine().store.put(first.hash, first.bytes); // and a repeat of the same bytes is fine
    expect(await engine().read(first.hash)).toEqual(first.bytes);
  });

  it('takes 10 concurrent puts of one hash, all resolving, leaving the blob intact', async () => {
    const { bytes, hash } = blob(`archive three ${which} `.repeat(20_000)); // ~500 KB
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => engine().store.put(hash, bytes)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill('fulfilled'));
    const stored = await engine().read(hash);
    expect(stored).not.toBeNull();
    expect(sha256(stored!)).toBe(hash);
  });

  // Only the disk store can show this: s3rver ignores If-None-Match and writes objects in place
  // (truncate, then stream), so racing different bodies interleave there. On S3 the conditional
  // PUT makes the first complete upload win; the mock suite checks the adapter asks for that.
  it.runIf(which === 'fs')('keeps one whole candidate when concurrent puts of one hash race with different bytes', async () => {
    const { hash } = blob(`archive four ${which}`);
    const candidates = Array.from({ length: 10 }, (_, i) => new TextEncoder().encode(`candidate ${i} `.repeat(5_000 + i)));
    await Promise.all(candidates.map((c) => engine().store.put(hash, c)));
    const stored = await engine().read(hash);
    const winner = candidates.findIndex((c) => Buffer.from(c).equals(Buffer.from(stored!)));
    expect(winner).toBeGreaterThanOrEqual(0);
    await engine().store.put(hash, candidates[(winner + 1) % candidates.length]!);
    expect(await engine().read(hash)).toEqual(candidates[winner]);
  });

  it('stages bytes aside: nothing under the content address until promoted, then the bytes; discard removes the staged copy', async () => {
    const { bytes, hash } = blob(`staged one ${which}`);
    const staged = await engine().store.stage(hash, bytes);
    expect(staged.staged).toBe(true);
    expect(await engine().store.download(hash)).toBeNull();
    expect(await engine().staged()).toHaveLength(1);
    await staged.promote();
    await staged.promote(); // idempotent
    expect(await engine().read(hash)).toEqual(bytes);
    await staged.discard();
    await staged.discard(); // idempotent
    expect(await engine().staged()).toEqual([]);
    expect(await engine().read(hash)).toEqual(bytes);
  });

  it('a staged blob discarded without promotion leaves nothing at all', async () => {
    const { bytes, hash } = blob(`staged two ${which}`);
    const staged = await engine().store.stage(hash, bytes);
    await staged.discard();
    expect(await engine().store.download(hash)).toBeNull();
    expect(await engine().staged()).toEqual([]);
  });

  it('does not stage a hash that is already stored', async () => {
    const { bytes, hash } = blob(`staged three ${which}`);
    await engine().store.put(hash, bytes);
    const staged = await engine().store.stage(hash, bytes);
    expect(staged.staged).toBe(false);
    expect(await engine().staged()).toEqual([]);
    await staged.promote();
    await staged.discard();
    expect(await engine().read(hash)).toEqual(bytes);
  });

  // s3rver copies objects in place without locking, so concurrent copies to one key fail there
  // (500); on S3 the conditional copy (If-None-Match: *) settles it, as the mock suite checks.
  it.runIf(which === 'fs')('takes 10 concurrent stage-and-promote runs of one hash, each discarding its copy', async () => {
    const { bytes, hash } = blob(`staged four ${which} `.repeat(20_000));
    const run = async () => {
      const staged = await engine().store.stage(hash, bytes);
      try {
        await staged.promote();
      } finally {
        await staged.discard();
      }
    };
    const results = await Promise.allSettled(Array.from({ length: 10 }, run));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill('fulfilled'));
    expect(sha256((await engine().read(hash))!)).toBe(hash);
    expect(await engine().staged()).toEqual([]);
  });

  it('rejects hashes that are not 64 lowercase hex characters', async () => {
    const { bytes } = blob('x');
    for (const bad of ['', 'abc', '../'.repeat(22).slice(0, 64), 'A'.repeat(64), `${'a'.repeat(63)}/`, 'a'.repeat(65)]) {
      await expect(engine().store.put(bad, bytes)).rejects.toThrow(/Invalid blob hash/);
      await expect(engine().store.download(bad)).rejects.toThrow(/Invalid blob hash/);
      await expect(engine().store.stage(bad, bytes)).rejects.toThrow(/Invalid blob hash/);
    }
  });
});

describe('FsBlobStore specifics', () => {
  it('lays blobs out as <root>/<first two hex>/<sha256>.tgz and leaves no temp files', async () => {
    const root = join(await tempDir('fslayout'), 'b');
    const store = new FsBlobStore(root);
    const { bytes, hash } = blob('layout');
    await Promise.all(Array.from({ length: 5 }, () => store.put(hash, bytes)));
    expect(await readdir(join(root, hash.slice(0, 2)))).toEqual([`${hash}.tgz`]);
    expect(await readdir(join(root, STAGING_DIR))).toEqual([]);
  });

  const HOUR = 3600_000;
  /** A file in `dir` last modified `ageMs` before `now`. */
  async function fileAged(dir: string, name: string, now: number, ageMs: number): Promise<string> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, name);
    await writeFile(path, 'x');
    const at = new Date(now - ageMs);
    await utimes(path, at, at);
    return name;
  }

  it('sweeps staged files older than 24 hours and nothing else: never a content-addressed blob', async () => {
    const root = join(await tempDir('fssweep'), 'b');
    let now = Date.now(); // files written by the store itself carry the real time
    const store = new FsBlobStore(root, { now: () => now });
    const old = blob('an old blob nobody references');
    await store.put(old.hash, old.bytes);
    const blobFile = join(root, old.hash.slice(0, 2), `${old.hash}.tgz`);
    await utimes(blobFile, new Date(now - 100 * HOUR), new Date(now - 100 * HOUR));
    const staging = join(root, STAGING_DIR);
    const abandoned = await fileAged(staging, 'abandoned.tgz', now, 25 * HOUR);
    const recent = await fileAged(staging, 'recent.tgz', now, 23 * HOUR);
    const running = await store.stage(blob('a publish still running').hash, blob('a publish still running').bytes);
    expect(await store.sweepStaging()).toBe(1);
    const left = await readdir(staging);
    expect(left).not.toContain(abandoned);
    expect(left).toContain(recent);
    expect(left).toHaveLength(2); // recent + the running publish's copy
    expect(await store.download(old.hash)).not.toBeNull();
    await running.promote();
    await running.discard();
    now += 2 * HOUR; // `recent` is 25 hours old now
    expect(await store.sweepStaging()).toBe(1);
    expect(await readdir(staging)).toEqual([]);
    expect(await store.download(old.hash)).not.toBeNull();
    expect(await store.sweepStaging()).toBe(0);
  });

  it('sweeps on its first write after opening, then at most hourly', async () => {
    const root = join(await tempDir('fssweepclock'), 'b');
    let now = Date.now(); // files written by the store itself carry the real time
    const staging = join(root, STAGING_DIR);
    const first = await fileAged(staging, 'left-by-a-crash.tgz', now, 30 * HOUR);
    const store = new FsBlobStore(root, { now: () => now }); // opened: sweeps at its first write
    const a = blob('first write');
    await store.put(a.hash, a.bytes);
    expect(await readdir(staging)).toEqual([]);
    expect(first).toBeTruthy();
    const second = await fileAged(staging, 'second.tgz', now, 30 * HOUR);
    now += 30 * 60_000; // half an hour later: no sweep yet
    const b = blob('second write');
    await store.put(b.hash, b.bytes);
    expect(await readdir(staging)).toEqual([second]);
    now += 31 * 60_000; // over an hour since the last sweep
    const c = blob('third write');
    await store.put(c.hash, c.bytes);
    expect(await readdir(staging)).toEqual([]);
    for (const x of [a, b, c]) expect(await store.download(x.hash)).not.toBeNull();
  });
});

describe('S3BlobStore specifics', () => {
  it('hands out presigned URLs that expire after the configured time, for the content-addressed key', async () => {
    const { bytes, hash } = blob('presigned');
    await engines.s3.store.put(hash, bytes);
    const d = await engines.s3.store.download(hash);
    expect(d?.kind).toBe('redirect');
    const url = new URL((d as { url: string }).url);
    expect(url.pathname).toBe(`/${bucket}/archives/${hash.slice(0, 2)}/${hash}.tgz`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(url.searchParams.get('response-content-type')).toBe('application/gzip');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(lastUrls.length).toBeGreaterThan(0);
  });

  it('defaults to 300-second URLs', async () => {
    const store = new S3BlobStore(s3, bucket);
    const { bytes, hash } = blob('default expiry');
    await store.put(hash, bytes);
    const d = await store.download(hash);
    expect(new URL((d as { url: string }).url).searchParams.get('X-Amz-Expires')).toBe('300');
  });

  it('reports an S3 that refuses connections as unavailable, within the bounded retries', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve())); // nothing listens there now
    const dead = createS3Client({ S3_ENDPOINT: `http://127.0.0.1:${port}` });
    const store = new S3BlobStore(dead, bucket);
    const started = Date.now();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.download('0'.repeat(64))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(10_000);
    dead.destroy();
  });
});

describe('S3BlobReader on s3rver: the read side of the contract, without the S3 client', () => {
  /** Follows a download answer to the bytes, as a client would. */
  async function fetchBytes(hash: string, from: BlobReader) {
    const d = await from.download(hash);
    if (!d) return null;
    if (d.kind !== 'redirect') throw new Error('S3BlobReader must answer with a redirect');
    const res = await fetch(d.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    return { url: new URL(d.url), bytes: new Uint8Array(await res.arrayBuffer()) };
  }

  it('answers ping (HeadBucket)', async () => {
    await expect(reader.ping()).resolves.toBeUndefined();
  });

  it('hands out a presigned URL that downloads the bytes S3BlobStore stored, for the content-addressed key', async () => {
    const { bytes, hash } = blob('read by the light reader');
    await engines.s3.store.put(hash, bytes);
    const got = await fetchBytes(hash, reader);
    expect(got?.bytes).toEqual(bytes);
    expect(got?.url.pathname).toBe(`/${bucket}/archives/${hash.slice(0, 2)}/${hash}.tgz`);
    expect(got?.url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(got?.url.searchParams.get('response-content-type')).toBe('application/gzip');
    expect(got?.url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    // The same object, the same parameters as the SDK's presigned URL.
    const sdk = await fetchBytes(hash, new S3BlobStore(s3, bucket));
    expect(sdk?.bytes).toEqual(bytes);
    const params = (u: URL) => [...u.searchParams.keys()].sort();
    expect(params(got!.url)).toEqual(params(sdk!.url));
  });

  it('reads the bytes S3BlobStore stored with a signed GET, and null for a missing one', async () => {
    const { bytes, hash } = blob('read by the light reader, through the process');
    await engines.s3.store.put(hash, bytes);
    expect(Buffer.from((await reader.read(hash))!)).toEqual(Buffer.from(bytes));
    expect(await reader.read('1'.repeat(64))).toBeNull();
  });

  it('answers null for a hash it does not hold (HeadObject 404), and for a staged archive not yet promoted', async () => {
    expect(await reader.download('0'.repeat(64))).toBeNull();
    const { bytes, hash } = blob('staged, not promoted: invisible to the reader');
    const staged = await engines.s3.store.stage(hash, bytes);
    expect(await reader.download(hash)).toBeNull();
    expect(await reader.read(hash)).toBeNull();
    await staged.promote();
    expect((await fetchBytes(hash, reader))?.bytes).toEqual(bytes);
    await staged.discard();
  });

  it('reads under another prefix when told to', async () => {
    const other = new S3BlobStore(s3, bucket, { prefix: 'elsewhere/' });
    const { bytes, hash } = blob('under another prefix');
    await other.put(hash, bytes);
    expect(await reader.download(hash)).toBeNull();
    const prefixed = createS3BlobReader({ S3_ENDPOINT: s3Endpoint, BLOBS_BUCKET: bucket, BLOBS_PREFIX: 'elsewhere/' });
    try {
      expect((await fetchBytes(hash, prefixed))?.bytes).toEqual(bytes);
    } finally {
      prefixed.destroy();
    }
  });

  it('fails the probe of a bucket that does not exist, as a misconfiguration (not "unavailable")', async () => {
    const missing = createS3BlobReader({ S3_ENDPOINT: s3Endpoint, BLOBS_BUCKET: 'no-such-bucket' });
    try {
      const err = await missing.ping().catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
      expect(err).not.toBeInstanceOf(StoreUnavailableError);
    } finally {
      missing.destroy();
    }
  });

  it('rejects hashes that are not 64 lowercase hex characters', async () => {
    for (const bad of ['', 'abc', '../'.repeat(22).slice(0, 64), 'A'.repeat(64), `${'a'.repeat(63)}/`]) {
      await expect(reader.download(bad)).rejects.toThrow(/Invalid blob hash/);
    }
  });

  it('reports an S3 that refuses connections as unavailable, within the bounded retries', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve())); // nothing listens there now
    const dead = createS3BlobReader({ S3_ENDPOINT: `http://127.0.0.1:${port}`, BLOBS_BUCKET: bucket });
    try {
      const started = Date.now();
      await expect(dead.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(dead.download('0'.repeat(64))).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      dead.destroy();
    }
  });
});
