import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Extract } from 'tar-stream';
import {
  ARCHIVE_MAX_FILE_BYTES,
  ARCHIVE_MAX_FILES,
  ARCHIVE_MAX_TOTAL_BYTES,
  MAX_TAR_STREAM_BYTES,
  relativeEntryPath,
  slices,
} from './archiveValidator.js';

/** One file of a stored package archive, as text. */
export interface ArchiveTextFile {
  /** Relative to the archive root, without a leading "./": the path publish recorded. */
  path: string;
  /** The whole file (a UTF-8 byte order mark dropped, as at publish). */
  text: string;
  /** Bytes in the archive. */
  size: number;
}

/**
 * A stored archive that cannot be read as the package it was published as: corrupt bytes, or
 * content the publish checks would have refused. A fault of the stored data, not of a request.
 */
export class UnreadableArchiveError extends Error {
  constructor(problem: string, options?: ErrorOptions) {
    super(`Stored archive unreadable: ${problem}`, options);
    this.name = 'UnreadableArchiveError';
  }
}

/**
 * The files of an archive that passed validateArchive at publish, in archive order. A stored blob
 * is still read as if it were hostile (it may be old, damaged, or not what its key claims): the
 * inflated stream, the number of files, each file and their total are bounded by the publish
 * limits, so reading one costs at most what a publish may store. Anything outside them, or not
 * UTF-8 text, is an UnreadableArchiveError; directories are skipped.
 */
export async function readArchiveFiles(bytes: Uint8Array): Promise<ArchiveTextFile[]> {
  // Slices, so gunzip's backpressure (not the blob's size) bounds what is inflated ahead.
  const source = Readable.from(slices(bytes), { objectMode: false });
  const gunzip = createGunzip();
  let inflatedBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflatedBytes += chunk.length;
      if (inflatedBytes > MAX_TAR_STREAM_BYTES) done(new UnreadableArchiveError(`it inflates to more than ${MAX_TAR_STREAM_BYTES} bytes`));
      else done(null, chunk);
    },
  });
  const entries = tarExtract();
  const fail = (error: unknown) =>
    entries.destroy(error instanceof UnreadableArchiveError ? error : new UnreadableArchiveError('the gzip or tar data is corrupt', { cause: error }));
  source.on('error', fail);
  gunzip.on('error', fail);
  meter.on('error', fail);
  source.pipe(gunzip).pipe(meter).pipe(entries);

  try {
    return await readFiles(entries);
  } catch (error) {
    throw error instanceof UnreadableArchiveError ? error : new UnreadableArchiveError('the tar data is corrupt', { cause: error });
  } finally {
    source.destroy();
    gunzip.destroy();
    meter.destroy();
    entries.destroy();
  }
}

async function readFiles(entries: Extract): Promise<ArchiveTextFile[]> {
  const files: ArchiveTextFile[] = [];
  const seen = new Set<string>();
  let declaredBytes = 0;
  let totalBytes = 0;
  for await (const entry of entries) {
    const { header } = entry;
    if (header.type === 'directory') {
      entry.resume();
      continue;
    }
    const path = relativeEntryPath(header.name);
    if (header.type !== 'file') throw new UnreadableArchiveError(`${JSON.stringify(path)} is not a regular file`);
    if (path === '' || seen.has(path)) throw new UnreadableArchiveError(`the file name ${JSON.stringify(path)} is empty or repeated`);
    seen.add(path);
    if (files.length === ARCHIVE_MAX_FILES) throw new UnreadableArchiveError(`it holds more than ${ARCHIVE_MAX_FILES} files`);
    declaredBytes += header.size ?? 0;
    if ((header.size ?? 0) > ARCHIVE_MAX_FILE_BYTES || declaredBytes > ARCHIVE_MAX_TOTAL_BYTES) {
      throw new UnreadableArchiveError(`${JSON.stringify(path)} is larger than a package may hold`);
    }
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let size = 0;
    let text = '';
    try {
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        size += chunk.length;
        totalBytes += chunk.length;
        if (size > ARCHIVE_MAX_FILE_BYTES || totalBytes > ARCHIVE_MAX_TOTAL_BYTES) {
          throw new UnreadableArchiveError(`${JSON.stringify(path)} is larger than a package may hold`);
        }
        if (chunk.includes(0)) throw new UnreadableArchiveError(`${JSON.stringify(path)} contains a NUL byte`);
        text += decoder.decode(chunk, { stream: true });
      }
      text += decoder.decode();
    } catch (error) {
      if (error instanceof UnreadableArchiveError) throw error;
      if (error instanceof TypeError) throw new UnreadableArchiveError(`${JSON.stringify(path)} is not UTF-8 text`, { cause: error });
      throw error;
    }
    files.push({ path, text, size });
  }
  return files;
}
