/** How every archive is addressed: the lower-case hex SHA-256 of its bytes. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Defence in depth for blob stores: callers validate hashes first, but a key is never built from anything else. */
export function assertSha256(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new Error('Invalid blob hash: expected 64 lowercase hex characters');
}

/** Where archives live, content-addressed by the SHA-256 of their bytes. */
export type BlobDownload =
  | { kind: 'bytes'; bytes: Uint8Array }
  /** A short-lived URL to fetch the bytes from (S3 presigned). */
  | { kind: 'redirect'; url: string };

export interface BlobStore {
  /**
   * Stores bytes under their hash unless that hash is already stored: an existing blob is never
   * overwritten (the caller has checked that `sha256` is the hash of `bytes`).
   */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  download(sha256: string): Promise<BlobDownload | null>;
  ping(): Promise<void>;
}
