/** How every archive is addressed: the lower-case hex SHA-256 of its bytes. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Defence in depth for blob stores: callers validate hashes first, but a key is never built from anything else. */
export function assertSha256(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new Error('Invalid blob hash: expected 64 lowercase hex characters');
}

/**
 * No stored archive is larger: publish takes at most a Lambda payload (shared/routes.ts,
 * PUBLISH_BODY_LIMIT, about 4.4 MiB for the whole form). Readers refuse more, with room to spare.
 */
export const MAX_STORED_ARCHIVE_BYTES = 8 * 1024 * 1024;

/** Where archives live, content-addressed by the SHA-256 of their bytes. */
export type BlobDownload =
  | { kind: 'bytes'; bytes: Uint8Array }
  /** A short-lived URL to fetch the bytes from (S3 presigned). */
  | { kind: 'redirect'; url: string };

/** Staging data older than this is unreferenced by construction (no publish runs that long): it is swept. */
export const STAGING_MAX_AGE_MS = 24 * 3600 * 1000;

/**
 * Bytes written aside (under a staging name, never under their content address) and not yet
 * published. What a failed publish leaves behind is only staging data, which the store sweeps
 * once it is older than STAGING_MAX_AGE_MS; content-addressed blobs are never swept.
 */
export interface StagedBlob {
  /** False when the hash was already stored: nothing was written, promote() and discard() do nothing. */
  readonly staged: boolean;
  /**
   * Makes the bytes available under their content address. Idempotent, and never overwrites a
   * stored blob. The publish calls it inside its transaction, just before the commit.
   */
  promote(): Promise<void>;
  /** Removes the staging copy (once promoted or given up). Idempotent. */
  discard(): Promise<void>;
}

/** What stage() answers when the content-addressed blob exists already. */
export const ALREADY_STORED: StagedBlob = Object.freeze({
  staged: false,
  promote: async () => {},
  discard: async () => {},
});

/**
 * What routes that only read archives need (the health probe, downloads), so that their functions
 * can be built with a read-only adapter, lighter than the whole store.
 */
export interface BlobReader {
  /** The blob's bytes or a short-lived URL to them; null when the hash is not stored. */
  download(sha256: string): Promise<BlobDownload | null>;
  /**
   * The blob's bytes, through this process (the web pages show the files of an archive, and the
   * reprocessing command reads them); null when the hash is not stored. Never more than
   * MAX_STORED_ARCHIVE_BYTES: a larger object is refused as not what a publish stores.
   */
  read(sha256: string): Promise<Uint8Array | null>;
  /** Resolves when the store answers (the health probe). */
  ping(): Promise<void>;
}

/** The whole archive store: reads, and the writes a publish makes. */
export interface BlobStore extends BlobReader {
  /**
   * Stores bytes under their hash unless that hash is already stored: an existing blob is never
   * overwritten (the caller has checked that `sha256` is the hash of `bytes`).
   */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /**
   * Writes bytes under a staging name, to be promoted to their content address later. When the
   * hash is already stored nothing is written (ALREADY_STORED).
   */
  stage(sha256: string, bytes: Uint8Array): Promise<StagedBlob>;
}
