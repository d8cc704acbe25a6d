import type { SafetyScan } from '../packages/ruleSafety.js';

/**
 * The rule scanner's findings of each version, as the reprocessing command's rescan rewrites
 * them from the archives (publish writes them in its own transaction).
 */
export interface VersionSafetyStore {
  /** Of these version ids, those already scanned by `scannerVersion` or a later scanner. */
  scannedAmong(versionIds: readonly number[], scannerVersion: number): Promise<Set<number>>;
  /**
   * Makes the version's findings exactly these, recorded as the scanner version's, in one
   * transaction that moves the version's safety revision; false, with nothing written, when they
   * were so already.
   */
  replaceFindings(versionId: number, scan: SafetyScan): Promise<boolean>;
}
