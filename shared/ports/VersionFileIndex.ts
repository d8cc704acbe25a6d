import type { ArchiveTextFile } from '../packages/archiveFiles.js';

/**
 * The searchable text of each version's files, as the reprocessing command rebuilds it from the
 * archives (publish writes it in its own transaction).
 */
export interface VersionFileIndex {
  /** Of these version ids, those that have indexed files. */
  indexedAmong(versionIds: readonly number[]): Promise<Set<number>>;
  /**
   * Makes the version's indexed files exactly these (the text capped as at publish), in one
   * transaction: rows written, changed or removed; 0 when they were so already.
   */
  replaceFiles(versionId: number, files: readonly ArchiveTextFile[]): Promise<number>;
}
