import type { ArchiveTextFile } from '../packages/archiveFiles.js';

/** A published version, as the reprocessing walk visits it. */
export interface StoredVersion {
  id: number;
  name: string;
  version: string;
  sha256: string;
}

/**
 * The searchable text of each version's files (publish writes it in its own transaction), as the
 * reprocessing command rebuilds it from the archives.
 */
export interface VersionFileIndex {
  /** How many versions are published. */
  countVersions(): Promise<number>;
  /** Published versions with ids above `afterId`, in id order, at most `limit`. */
  versionsAfter(afterId: number, limit: number): Promise<StoredVersion[]>;
  /** Of these version ids, those that have indexed files. */
  indexedAmong(versionIds: readonly number[]): Promise<Set<number>>;
  /**
   * Makes the version's indexed files exactly these (the text capped as at publish), in one
   * transaction: rows written, changed or removed; 0 when they were so already.
   */
  replaceFiles(versionId: number, files: readonly ArchiveTextFile[]): Promise<number>;
}
