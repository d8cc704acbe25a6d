import { StoreUnavailableError } from '../../errors.js';
import { assertSha256 } from '../../ports/BlobStore.js';
import { isSdkUnavailable } from '../../resilience/sdkErrors.js';
import type { SdkTimeouts } from '../../resilience/sdkTimeouts.js';

/**
 * What both S3 adapters share (the full S3BlobStore and the read-only S3BlobReader): where an
 * archive's object lives, how a download URL answers, the timeouts and how failures map. This
 * module imports no S3 client, so the reader's bundles stay without one.
 */

/** Key prefix of content-addressed archives (the stack's BLOBS_PREFIX). */
export const DEFAULT_ARCHIVE_PREFIX = 'archives/';

/** Lifetime of presigned download URLs, in seconds. */
export const DEFAULT_DOWNLOAD_URL_SECONDS = 300;

/** The Content-Type a presigned download asks S3 to answer with (response-content-type). */
export const ARCHIVE_CONTENT_TYPE = 'application/gzip';

/** The object key of an archive: `<prefix><first two hex>/<sha256>.tgz`. */
export function archiveKey(prefix: string, sha256: string): string {
  assertSha256(sha256);
  return `${prefix}${sha256.slice(0, 2)}/${sha256}.tgz`;
}

/**
 * Three attempts of at most 2 s each (enforced): a hanging S3 ends a download (10 s route) or a
 * publish (15 s) with the store's 503 after about 6 s. An archive (at most 4.4 MiB) uploads to S3
 * in the region in a fraction of that.
 */
export const S3_MAX_ATTEMPTS = 3;
export const S3_TIMEOUTS: SdkTimeouts = { connectTimeoutMs: 1000, requestTimeoutMs: 2000 };

/** The only key s3rver knows; never the developer's real credentials at an emulator. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * Maps an S3 failure. Throttling (SlowDown, 429), server errors (5xx), timeouts (TimeoutError,
 * RequestTimeout, 408) and network failures (ECONNREFUSED, ECONNRESET, …) mean "unavailable now"
 * (isSdkUnavailable, the SDK's own retry classes). Everything else is rethrown as it is, to end as
 * a logged 500 that the breaker does not count: errors about the request or the configuration
 * (AccessDenied, InvalidRequest, NoSuchBucket: any other 4xx), missing credentials, and errors in
 * our own code (TypeError).
 */
export function toS3StoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  return isSdkUnavailable(err) ? new StoreUnavailableError('blobs', err) : err;
}
