import type { BlobReader } from '../ports/BlobStore.js';
import type { PublishedVersions, StoredVersion } from '../ports/PublishedVersions.js';
import type { VersionFileIndex } from '../ports/VersionFileIndex.js';
import type { VersionSafetyStore } from '../ports/VersionSafetyStore.js';
import { SCANNER_VERSION } from '../safety/ruleScanner.js';
import { readArchiveFiles, UnreadableArchiveError, type ArchiveTextFile } from './archiveFiles.js';
import { rescan } from './ruleSafety.js';

/**
 * One thing the reprocessing walk does with each published version, from the files of its archive.
 * Steps are independent: each keeps its own results, and each must be safe to run again on a
 * version it has handled (the walk may be interrupted and re-run).
 */
export interface ReprocessStep {
  /** Short, for the summary line: "content index". */
  readonly name: string;
  /** Of these versions, those this step has handled already (left alone with `onlyMissing`). */
  handledAmong(versionIds: readonly number[]): Promise<Set<number>>;
  /** Versions it has handled are left alone even without `onlyMissing`: what it keeps depends only on the code's version. */
  readonly skipsHandled?: boolean;
  /** Handles one version; answers whether it changed anything it keeps. */
  apply(version: StoredVersion, files: readonly ArchiveTextFile[]): Promise<boolean>;
}

/** The content search's index of each version's files (registry.version_files). */
export function contentIndexStep(index: VersionFileIndex): ReprocessStep {
  return {
    name: 'content index',
    handledAmong: (ids) => index.indexedAmong(ids),
    apply: async (version, files) => (await index.replaceFiles(version.id, files)) > 0,
  };
}

/**
 * The rule scanner's findings of each version (registry.version_findings), scanned again from its
 * archive by this SCANNER_VERSION: handled once a version carries this scanner's findings, and
 * then left alone unless `all` (a scanner version's findings of an archive never change). A
 * version is rewritten (and its safety revision moved) only when what is stored differs. Refusing
 * findings of a version published before its rule are stored as the scanner says, and only shown:
 * nothing is deleted, hidden or withdrawn.
 */
export function ruleSafetyStep(store: VersionSafetyStore, options: { all?: boolean } = {}): ReprocessStep {
  return {
    name: 'rule safety',
    skipsHandled: !options.all,
    handledAmong: (ids) => store.scannedAmong(ids, SCANNER_VERSION),
    apply: (version, files) => store.replaceFindings(version.id, rescan(files)),
  };
}

export interface ReprocessProgress {
  /** Published versions when the walk started. */
  total: number;
  /** Versions walked so far, skipped ones included. */
  visited: number;
  /** Versions whose archive is not in the blob store. */
  missing: StoredVersion[];
  /** Versions whose stored archive cannot be read as a package (corrupt, or beyond the publish limits). */
  unreadable: Array<StoredVersion & { problem: string }>;
  /** Versions for which some step changed something. */
  changed: number;
  /** Versions every step had handled already, left alone with `onlyMissing`. */
  alreadyDone: number;
}

export interface ReprocessOptions {
  steps: readonly ReprocessStep[];
  /** Only versions some step has not handled yet, and only those steps. */
  onlyMissing?: boolean;
  /** Versions listed per query. */
  batchSize?: number;
  /** Archives read and handled at once. */
  concurrency?: number;
  /** After each batch. */
  onProgress?: (progress: Readonly<ReprocessProgress>) => void;
}

/**
 * Walks every published version in id order, in batches: reads its archive from the blob store
 * and gives its files to each step. A version whose archive is missing or unreadable is skipped
 * and reported, and the walk goes on; a store failure (the database, the blob store unreachable)
 * ends it with that error, and a re-run redoes what was not finished (each step is idempotent).
 */
export async function reprocess(
  stores: { versions: PublishedVersions; blobs: Pick<BlobReader, 'read'> },
  options: ReprocessOptions,
): Promise<ReprocessProgress> {
  const batchSize = options.batchSize ?? 200;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const progress: ReprocessProgress = { total: await stores.versions.count(), visited: 0, missing: [], unreadable: [], changed: 0, alreadyDone: 0 };

  for (let afterId = 0; ; ) {
    const batch = await stores.versions.after(afterId, batchSize);
    if (batch.length === 0) break;
    afterId = batch[batch.length - 1]!.id;
    const ids = batch.map((v) => v.id);
    const handled = await Promise.all(
      options.steps.map((step) => (options.onlyMissing || step.skipsHandled ? step.handledAmong(ids) : Promise.resolve(new Set<number>()))),
    );

    await forEachAtMost(concurrency, batch, async (version) => {
      const steps = options.steps.filter((_, i) => !handled[i]!.has(version.id));
      if (steps.length === 0) {
        progress.alreadyDone++;
        return;
      }
      const bytes = await stores.blobs.read(version.sha256);
      if (bytes === null) {
        progress.missing.push(version);
        return;
      }
      let files: ArchiveTextFile[];
      try {
        files = await readArchiveFiles(bytes);
      } catch (error) {
        if (!(error instanceof UnreadableArchiveError)) throw error;
        progress.unreadable.push({ ...version, problem: error.message });
        return;
      }
      let changed = false;
      for (const step of steps) changed = (await step.apply(version, files)) || changed;
      if (changed) progress.changed++;
    });
    progress.visited += batch.length;
    options.onProgress?.(progress);
  }
  return progress;
}

/** Runs `task` for every item, at most `limit` at once; the first failure is thrown once the running ones have settled. */
async function forEachAtMost<T>(limit: number, items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** The progress line: `reprocess: 1200/10000 versions, 3 skipped (archive missing)`, and what else there is to say. */
export function progressLine(p: Readonly<ReprocessProgress>): string {
  const parts = [`reprocess: ${p.visited}/${p.total} versions`, `${p.missing.length} skipped (archive missing)`];
  if (p.unreadable.length > 0) parts.push(`${p.unreadable.length} skipped (archive unreadable)`);
  parts.push(`${p.changed} changed`);
  if (p.alreadyDone > 0) parts.push(`${p.alreadyDone} already done`);
  return parts.join(', ');
}
