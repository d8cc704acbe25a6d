import { randomUUID } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StoreUnavailableError } from '../../errors.js';
import { boundedRequestHandler } from '../../resilience/sdkTimeouts.js';
import { ALREADY_STORED, MAX_STORED_ARCHIVE_BYTES, type BlobDownload, type BlobStore, type StagedBlob } from '../../ports/BlobStore.js';
import {
  ARCHIVE_CONTENT_TYPE,
  DEFAULT_ARCHIVE_PREFIX,
  DEFAULT_DOWNLOAD_URL_SECONDS,
  EMULATOR_CREDENTIALS,
  S3_MAX_ATTEMPTS,
  S3_TIMEOUTS,
  archiveKey,
  toS3StoreError,
} from './archiveObjects.js';

export { toS3StoreError };

interface AwsLikeError {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (err: unknown): number | undefined => (err as AwsLikeError | null)?.$metadata?.httpStatusCode;
const nameOf = (err: unknown): string | undefined => {
  const name = (err as AwsLikeError | null)?.name;
  return typeof name === 'string' ? name : undefined;
};

/** S3 says "no such object" (HeadObject answers a bodiless 404, named NotFound by the SDK). */
function isNotFound(err: unknown): boolean {
  const name = nameOf(err);
  if (name === 'NoSuchBucket') return false; // misconfiguration, not a missing blob
  return name === 'NotFound' || name === 'NoSuchKey' || statusOf(err) === 404;
}

/** A conditional write (If-None-Match: *) lost because the key already exists. */
const isAlreadyExists = (err: unknown) => nameOf(err) === 'PreconditionFailed' || statusOf(err) === 412;

/** Another conditional write to the same key is in flight; S3 asks to retry. */
const isConditionalConflict = (err: unknown) =>
  nameOf(err) === 'ConditionalRequestConflict' || statusOf(err) === 409;

const CONFLICT_RETRIES = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where publishes stage archives before promoting them: outside the archive prefix, swept by a lifecycle rule. */
export const DEFAULT_STAGING_PREFIX = 'staging/';

export interface S3BlobStoreOptions {
  /** Key prefix, ending in '/'. Default 'archives/'. */
  prefix?: string;
  /**
   * Key prefix of staged archives, ending in '/', outside `prefix`. Default 'staging/'. The
   * bucket's lifecycle rule expires objects under it after a day (infra/constructs/DataStores.ts).
   */
  stagingPrefix?: string;
  /** Lifetime of presigned download URLs. Default 300. */
  downloadUrlSeconds?: number;
}

/**
 * Archives in S3 under `<prefix><first two hex>/<sha256>.tgz`. Objects are write-once: puts and
 * copies to that key are conditional (If-None-Match: *) so a stored blob is never overwritten,
 * and downloads are answered with short-lived presigned URLs so the bytes never pass through the
 * Lambda. A publish stages its archive under `<stagingPrefix><uuid>.tgz` first (PutObject), then
 * promotes it (CopyObject to the content address) and deletes the staged object: what a failed
 * publish leaves is only a staged object, which the bucket's lifecycle rule expires.
 */
export class S3BlobStore implements BlobStore {
  private readonly prefix: string;
  private readonly stagingPrefix: string;
  private readonly downloadUrlSeconds: number;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    options: S3BlobStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? DEFAULT_ARCHIVE_PREFIX;
    this.stagingPrefix = options.stagingPrefix ?? DEFAULT_STAGING_PREFIX;
    if (this.stagingPrefix.startsWith(this.prefix) || this.prefix.startsWith(this.stagingPrefix)) {
      throw new Error('The staging prefix must lie outside the archive prefix');
    }
    this.downloadUrlSeconds = options.downloadUrlSeconds ?? DEFAULT_DOWNLOAD_URL_SECONDS;
  }

  /** The object key of a blob. */
  key(sha256: string): string {
    return archiveKey(this.prefix, sha256);
  }

  private async send<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toS3StoreError(err);
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw toS3StoreError(err);
    }
  }

  /** A PutObject of archive bytes; S3 rejects the upload (400 BadDigest) unless they hash to `sha256`. */
  private putCommand(key: string, sha256: string, bytes: Uint8Array, conditional: boolean): PutObjectCommand {
    return new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: bytes,
      ContentLength: bytes.byteLength,
      ContentType: ARCHIVE_CONTENT_TYPE,
      CacheControl: 'public, max-age=31536000, immutable',
      ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      ...(conditional ? { IfNoneMatch: '*' } : {}),
    });
  }

  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    const key = this.key(sha256);
    // A HEAD first: cheap, spares re-uploading a stored archive, and keeps the never-overwrite
    // promise on S3 emulators that ignore If-None-Match on PUT. On S3 the conditional PUT below
    // is what actually settles a race between two first uploads.
    if (await this.exists(key)) return;
    await this.writeOnce(() => this.client.send(this.putCommand(key, sha256, bytes, true)));
  }

  async stage(sha256: string, bytes: Uint8Array): Promise<StagedBlob> {
    const key = this.key(sha256);
    if (await this.exists(key)) return ALREADY_STORED;
    const stagingKey = `${this.stagingPrefix}${randomUUID()}.tgz`;
    await this.send(() => this.client.send(this.putCommand(stagingKey, sha256, bytes, false)));
    let promoted = false;
    let discarded = false;
    return {
      staged: true,
      promote: async () => {
        if (promoted) return;
        // Copied within S3 (the bytes do not travel again), with its content type, cache policy
        // and checksum; If-None-Match keeps a blob stored meanwhile by another publish as it is.
        await this.writeOnce(() =>
          this.client.send(
            new CopyObjectCommand({
              Bucket: this.bucket,
              Key: key,
              CopySource: `${this.bucket}/${stagingKey}`,
              ChecksumAlgorithm: 'SHA256',
              IfNoneMatch: '*',
            }),
          ),
        );
        promoted = true;
      },
      discard: async () => {
        if (discarded) return;
        await this.send(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: stagingKey })));
        discarded = true;
      },
    };
  }

  /**
   * Runs a conditional write (If-None-Match: *) to a content-addressed key: "already exists" is
   * success (the same hash, hence the same bytes, is stored), a conflicting write in flight is
   * retried briefly.
   */
  private async writeOnce(write: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        return;
      } catch (err) {
        if (isAlreadyExists(err)) return; // the same hash, hence the same bytes, is stored
        // 409: a concurrent conditional write to this key has not finished yet. It may still fail,
        // so this put succeeds only once S3 confirms the object exists (a later 412).
        if (isConditionalConflict(err)) {
          if (attempt < CONFLICT_RETRIES) {
            await sleep(50 * attempt);
            continue;
          }
          throw new StoreUnavailableError('blobs', err);
        }
        throw toS3StoreError(err);
      }
    }
  }

  async download(sha256: string): Promise<BlobDownload | null> {
    const key = this.key(sha256);
    if (!(await this.exists(key))) return null;
    const url = await this.send(() =>
      getSignedUrl(
        this.client,
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: ARCHIVE_CONTENT_TYPE }),
        { expiresIn: this.downloadUrlSeconds },
      ),
    );
    return { kind: 'redirect', url };
  }

  async read(sha256: string): Promise<Uint8Array | null> {
    const key = this.key(sha256);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if ((out.ContentLength ?? 0) > MAX_STORED_ARCHIVE_BYTES) {
        (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw new Error(`Object ${key} is larger than any archive a publish stores`);
      }
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toS3StoreError(err);
    }
  }

  async ping(): Promise<void> {
    await this.send(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }
}

/**
 * An S3 client with bounded timeouts. With S3_ENDPOINT (an emulator such as s3rver): path-style
 * addressing and dummy credentials, never the developer's real ones (s3rver only knows the key
 * S3RVER, and does not check signatures).
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.S3_ENDPOINT;
  return new S3Client({
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          region: env.AWS_REGION ?? 'us-east-1',
          credentials: { ...EMULATOR_CREDENTIALS },
        }
      : {}),
    // Three attempts of at most 2 s each (enforced; S3_TIMEOUTS says why).
    maxAttempts: S3_MAX_ATTEMPTS,
    requestHandler: boundedRequestHandler(S3_TIMEOUTS),
  });
}
