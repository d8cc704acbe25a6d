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
