import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreUnavailableError } from '../../shared/errors.js';
import { assertSha256, type BlobDownload, type BlobStore } from '../../shared/ports/BlobStore.js';


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

/**
 * Archives on the local disk for `npm start`: `<root>/<first two hex>/<sha256>.tgz`.
 *
 * A put writes a temp file in the final directory and then hard-links it to the final name:
 * link() fails with EEXIST when the name exists, so a stored blob is never overwritten, concurrent
 * puts of one hash are safe (the first link wins, the others succeed as "already stored"), and a
 * crash mid-write leaves at worst a stray temp file, never a half-written blob under its name.
 */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private path(sha256: string): { dir: string; file: string } {
    assertSha256(sha256);
    const dir = join(this.root, sha256.slice(0, 2));
    return { dir, file: join(dir, `${sha256}.tgz`) };
  }

  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    const { dir, file } = this.path(sha256);
    try {
      if (await exists(file)) return; // spares writing bytes that are already stored
      await mkdir(dir, { recursive: true });
      const temp = join(dir, `.${sha256}.${randomUUID()}.tmp`);
      try {
        const handle = await open(temp, 'wx');
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        try {
          await link(temp, file);
        } catch (err) {
          if (codeOf(err) !== 'EEXIST') throw err; // already stored: keep the first bytes
        }
      } finally {
        await rm(temp, { force: true });
      }
    } catch (err) {
      throw toFsStoreError(err);
    }
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

  async ping(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (err) {
      throw new StoreUnavailableError('blobs', err);
    }
  }
}
