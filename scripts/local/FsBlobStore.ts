import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, lstat, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreUnavailableError } from '../../shared/errors.js';
import { logger } from '../../shared/observability/telemetry.js';
import {
  ALREADY_STORED,
  assertSha256,
  STAGING_MAX_AGE_MS,
  type BlobDownload,
  type BlobStore,
  type StagedBlob,
} from '../../shared/ports/BlobStore.js';

// The disk, not the request, is the problem: the same "retry later" as an unreachable S3.
const UNAVAILABLE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EROFS']);

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code;

function toFsStoreError(err: unknown): unknown {
  const code = codeOf(err);
  return code && UNAVAILABLE_CODES.has(code) ? new StoreUnavailableError('blobs', err) : err;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return false;
    throw err;
  }
}

/** The sub-folder of the root where archives wait to be promoted (not two hex digits: never a blob folder). */
export const STAGING_DIR = 'staging';

export interface FsBlobStoreOptions {
  /** The clock (ms since the epoch), for tests. */
  now?: () => number;
  /** Staged files older than this are swept. Default STAGING_MAX_AGE_MS (24 hours). */
  stagingMaxAgeMs?: number;
  /** Sweep at most this often. Default one hour. */
  sweepEveryMs?: number;
}

/**
 * Archives on the local disk for `npm start`: `<root>/<first two hex>/<sha256>.tgz`.
 *
 * Bytes are first written (and synced) to `<root>/staging/<uuid>.tgz`, then promoted by a hard
 * link to the final name: link() fails with EEXIST when the name exists, so a stored blob is never
 * overwritten, concurrent promotions of one hash are safe (the first link wins, the others succeed
 * as "already stored"), and a crash mid-write leaves at worst a stray staged file, never a
 * half-written blob under its name. Staged files older than a day belong to no running publish:
 * they are swept on the first write after the store is opened and then at most hourly. Blobs
 * under their content address are never swept (a publish of the same bytes may be about to
 * reference one).
 */
export class FsBlobStore implements BlobStore {
  private readonly staging: string;
  private readonly now: () => number;
  private readonly stagingMaxAgeMs: number;
  private readonly sweepEveryMs: number;
  private lastSweep = -Infinity;
  private sweeping: Promise<number> | undefined;

  constructor(
    private readonly root: string,
    options: FsBlobStoreOptions = {},
  ) {
    this.staging = join(root, STAGING_DIR);
    this.now = options.now ?? Date.now;
    this.stagingMaxAgeMs = options.stagingMaxAgeMs ?? STAGING_MAX_AGE_MS;
    this.sweepEveryMs = options.sweepEveryMs ?? 3600_000;
  }

  private path(sha256: string): { dir: string; file: string } {
    assertSha256(sha256);
    const dir = join(this.root, sha256.slice(0, 2));
    return { dir, file: join(dir, `${sha256}.tgz`) };
  }

  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    const staged = await this.stage(sha256, bytes);
    try {
      await staged.promote();
    } finally {
      await staged.discard();
    }
  }

  async stage(sha256: string, bytes: Uint8Array): Promise<StagedBlob> {
    const { dir, file } = this.path(sha256);
    await this.sweepIfDue();
    const temp = join(this.staging, `${randomUUID()}.tgz`);
    try {
      if (await exists(file)) return ALREADY_STORED; // spares writing bytes that are already stored
      await mkdir(this.staging, { recursive: true });
      try {
        const handle = await open(temp, 'wx');
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
    } catch (err) {
      throw toFsStoreError(err);
    }
    return {
      staged: true,
      promote: async () => {
        try {
          await mkdir(dir, { recursive: true });
          await link(temp, file);
        } catch (err) {
          if (codeOf(err) === 'EEXIST') return; // already stored: keep the first bytes
          throw toFsStoreError(err);
        }
      },
      discard: async () => {
        try {
          await rm(temp, { force: true });
        } catch (err) {
          throw toFsStoreError(err);
        }
      },
    };
  }

  /** Sweeps when the last sweep of this store is an hour old (or none ran yet); never fails a write. */
  private async sweepIfDue(): Promise<void> {
    if (this.now() - this.lastSweep < this.sweepEveryMs) return;
    this.lastSweep = this.now();
    try {
      await this.sweepStaging();
    } catch (err) {
      logger.warn('staged archives not swept', { error: String(err) });
    }
  }

  /**
   * Removes staged files last modified more than `stagingMaxAgeMs` ago, and nothing else: no
   * content-addressed blob, no file of a publish still running. Returns how many it removed.
   * One sweep at a time.
   */
  sweepStaging(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    const cutoff = this.now() - this.stagingMaxAgeMs;
    let names: string[];
    try {
      names = await readdir(this.staging);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      const file = join(this.staging, name);
      try {
        const info = await lstat(file);
        if (info.mtimeMs >= cutoff) continue;
        await rm(file, { force: true, recursive: info.isDirectory() });
        removed++;
      } catch (err) {
        if (codeOf(err) !== 'ENOENT') throw err; // removed meanwhile (its publish discarded it)
      }
    }
    return removed;
  }

  async download(sha256: string): Promise<BlobDownload | null> {
    const { file } = this.path(sha256);
    try {
      return { kind: 'bytes', bytes: await readFile(file) };
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return null;
      throw toFsStoreError(err);
    }
  }

  async read(sha256: string): Promise<Uint8Array | null> {
    const found = await this.download(sha256);
    return found?.kind === 'bytes' ? found.bytes : null;
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (err) {
      throw new StoreUnavailableError('blobs', err);
    }
  }
}
