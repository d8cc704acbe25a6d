import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3BlobStore, createS3Client, toS3StoreError } from '../../shared/adapters/s3/S3BlobStore.js';
import { StoreUnavailableError } from '../../shared/errors.js';

// What the adapter asks of S3, request by request (aws-sdk-client-mock).
const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
const store = new S3BlobStore(client, 'bkt');

const hash = 'ab'.padEnd(64, '0');
const bytes = new Uint8Array([1, 2, 3]);

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
const notFound = () => new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } });

const expectUnavailable = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => expect.unreachable('should have rejected'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreUnavailableError);
  expect((err as StoreUnavailableError).store).toBe('blobs');
};

beforeEach(() => s3.reset());

describe('S3BlobStore requests', () => {
  it('puts a missing blob with If-None-Match, its SHA-256 for S3 to verify, under the content-addressed key', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).resolves({});
    await store.put(hash, bytes);
    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'bkt',
      Key: `archives/ab/${hash}.tgz`,
      IfNoneMatch: '*',
      ChecksumSHA256: Buffer.from(hash, 'hex').toString('base64'),
      ContentType: 'application/gzip',
      ContentLength: 3,
    });
    expect(input.CacheControl).toContain('immutable');
    expect(input.Body).toBe(bytes);
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'bkt', Key: `archives/ab/${hash}.tgz` });
  });

  it('honours a custom prefix', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).resolves({});
    await new S3BlobStore(client, 'bkt', { prefix: 'p/' }).put(hash, bytes);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Key).toBe(`p/ab/${hash}.tgz`);
  });

  it('does not upload a blob that is already stored', async () => {
    s3.on(HeadObjectCommand).resolves({});
    await store.put(hash, bytes);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('takes a 412 from the conditional put as "already stored"', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    await expect(store.put(hash, bytes)).resolves.toBeUndefined();
  });

  it('retries a 409 (a concurrent conditional write in flight) until S3 confirms the object', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand)
      .rejectsOnce(s3Error('ConditionalRequestConflict', 409))
      .rejectsOnce(s3Error('PreconditionFailed', 412));
    await expect(store.put(hash, bytes)).resolves.toBeUndefined();
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it('reports a 409 that never settles as unavailable rather than claiming the blob is stored', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).rejects(s3Error('ConditionalRequestConflict', 409));
    await expectUnavailable(store.put(hash, bytes));
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(3);
  });

  it('reports 503, SlowDown and 500 as the blob store being unavailable', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).rejects(s3Error('ServiceUnavailable', 503));
    await expectUnavailable(store.put(hash, bytes));
    s3.on(PutObjectCommand).rejects(s3Error('SlowDown', 503));
    await expectUnavailable(store.put(hash, bytes));
    s3.on(PutObjectCommand).rejects(s3Error('InternalError', 500));
    await expectUnavailable(store.put(hash, bytes));
    s3.on(HeadObjectCommand).rejects(s3Error('SlowDown', 503));
    await expectUnavailable(store.download(hash));
  });

  it('reports network failures and timeouts as unavailable', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', $metadata: { attempts: 3 } });
    s3.on(HeadObjectCommand).rejects(refused);
    await expectUnavailable(store.download(hash));
    const timeout = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
    s3.on(HeadBucketCommand).rejects(timeout);
    await expectUnavailable(store.ping());
  });

  it('rethrows caller errors (AccessDenied, InvalidRequest) as they are', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    const denied = s3Error('AccessDenied', 403);
    s3.on(PutObjectCommand).rejects(denied);
    await expect(store.put(hash, bytes)).rejects.toBe(denied);
    const invalid = s3Error('InvalidRequest', 400);
    s3.on(PutObjectCommand).rejects(invalid);
    await expect(store.put(hash, bytes)).rejects.toBe(invalid);
    expect(toS3StoreError(new TypeError('bug'))).toBeInstanceOf(TypeError);
  });

  it('stages outside the archive prefix, promotes by a conditional copy to the content address, then deletes the staged object', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).resolves({});
    s3.on(CopyObjectCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    const staged = await store.stage(hash, bytes);
    expect(staged.staged).toBe(true);
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'bkt', Key: `archives/ab/${hash}.tgz` });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Key).toMatch(/^staging\/[0-9a-f-]{36}\.tgz$/);
    expect(put).toMatchObject({ Bucket: 'bkt', Body: bytes, ContentType: 'application/gzip', ChecksumSHA256: Buffer.from(hash, 'hex').toString('base64') });
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0); // nothing under the content address yet
    await staged.promote();
    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'bkt',
      Key: `archives/ab/${hash}.tgz`,
      CopySource: `bkt/${put.Key}`,
      IfNoneMatch: '*',
    });
    await staged.discard();
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'bkt', Key: put.Key }]);
    await staged.promote();
    await staged.discard();
    expect(s3.calls()).toHaveLength(4); // HEAD, PUT, COPY, DELETE: repeats cost nothing
  });

  it('skips staging entirely when the content-addressed object exists', async () => {
    s3.on(HeadObjectCommand).resolves({});
    const staged = await store.stage(hash, bytes);
    expect(staged.staged).toBe(false);
    await staged.promote();
    await staged.discard();
    expect(s3.calls()).toHaveLength(1);
  });

  it('takes a 412 from the conditional copy as "already stored" and retries a 409', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).resolves({});
    s3.on(CopyObjectCommand)
      .rejectsOnce(s3Error('ConditionalRequestConflict', 409))
      .rejectsOnce(s3Error('PreconditionFailed', 412));
    const staged = await store.stage(hash, bytes);
    await expect(staged.promote()).resolves.toBeUndefined();
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(2);
    s3.on(CopyObjectCommand).rejects(s3Error('SlowDown', 503));
    await expectUnavailable((await store.stage(hash, bytes)).promote());
  });

  it('keeps the staging prefix out of the archive prefix', () => {
    expect(() => new S3BlobStore(client, 'bkt', { prefix: 'a/', stagingPrefix: 'a/staging/' })).toThrow(/outside/);
    expect(() => new S3BlobStore(client, 'bkt', { prefix: 'a/b/', stagingPrefix: 'a/' })).toThrow(/outside/);
  });

  it('answers null for a blob S3 does not have (HeadObject 404)', async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    expect(await store.download(hash)).toBeNull();
  });

  it('answers a stored blob with a presigned GET URL asking for application/gzip', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 3 });
    const d = await new S3BlobStore(client, 'bkt', { downloadUrlSeconds: 60 }).download(hash);
    expect(d?.kind).toBe('redirect');
    const url = new URL((d as { url: string }).url);
    expect(url.hostname).toBe('bkt.s3.us-east-1.amazonaws.com');
    expect(url.pathname).toBe(`/archives/ab/${hash}.tgz`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('response-content-type')).toBe('application/gzip');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  it('pings with HeadBucket', async () => {
    s3.on(HeadBucketCommand).resolves({});
    await store.ping();
    expect(s3.commandCalls(HeadBucketCommand)[0]!.args[0].input).toEqual({ Bucket: 'bkt' });
  });

  it('refuses hash strings that are not 64 lowercase hex characters, before any request', async () => {
    await expect(store.put('../../etc/passwd', bytes)).rejects.toThrow(/Invalid blob hash/);
    await expect(store.download(hash.toUpperCase())).rejects.toThrow(/Invalid blob hash/);
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('createS3Client', () => {
  it('points at an emulator path-style with dummy credentials when S3_ENDPOINT is set', async () => {
    const c = createS3Client({ S3_ENDPOINT: 'http://127.0.0.1:4568' });
    expect(c.config.forcePathStyle).toBe(true);
    expect(await c.config.credentials()).toMatchObject({ accessKeyId: 'S3RVER' });
    expect((await c.config.endpoint!()).hostname).toBe('127.0.0.1');
    expect(await c.config.maxAttempts()).toBe(3);
    c.destroy();
  });
});
