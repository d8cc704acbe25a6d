import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Extract, type Header } from 'tar-stream';
import { ApiError, badRequest } from '../errors.js';
import { PACKAGE_FILES_MAX } from './manifest.js';

// Server-side checks of a published .tgz. They repeat the rfh client's own checks because a
// client can be modified or bypassed; they read the archive as a stream and give up at the
// first problem, so a hostile archive costs at most the limits below, never its claimed size.

export const ARCHIVE_MAX_FILES = PACKAGE_FILES_MAX;
export const ARCHIVE_MAX_FILE_BYTES = 1_048_576;
export const ARCHIVE_MAX_TOTAL_BYTES = 10_485_760;
export const ARCHIVE_ALLOWED_EXTENSIONS = ['.md', '.mdc', '.txt', '.json'] as const;
export const ARCHIVE_MAX_PATH_LENGTH = 1024;

// Headers, padding and end blocks of a legitimate 100-file archive take a few hundred KB. The
// decompressed tar stream is capped at the file limit plus this, because tar readers skip
// empty blocks: gigabytes of zeros would otherwise pass every per-file check.
const TAR_OVERHEAD_ALLOWANCE = 1_048_576;
const MAX_TAR_STREAM_BYTES = ARCHIVE_MAX_TOTAL_BYTES + TAR_OVERHEAD_ALLOWANCE;

// `rfh pack` writes rulestack.json at the root; npm-style tarballs nest everything in package/.
const MANIFEST_PATHS = ['rulestack.json', 'package/rulestack.json'];

// Fed to gunzip in slices so backpressure, not the upload size, bounds what is inflated ahead.
const INPUT_SLICE_BYTES = 64 * 1024;

const EXECUTABLE_SIGNATURES: ReadonlyArray<{ kind: string; magic: readonly number[] }> = [
  { kind: 'an ELF executable', magic: [0x7f, 0x45, 0x4c, 0x46] },
  { kind: 'a Windows executable (MZ)', magic: [0x4d, 0x5a] },
  { kind: 'a script ("#!")', magic: [0x23, 0x21] },
  { kind: 'a Mach-O executable', magic: [0xfe, 0xed, 0xfa, 0xce] },
  { kind: 'a Mach-O executable', magic: [0xfe, 0xed, 0xfa, 0xcf] },
  { kind: 'a Mach-O executable', magic: [0xce, 0xfa, 0xed, 0xfe] },
  { kind: 'a Mach-O executable', magic: [0xcf, 0xfa, 0xed, 0xfe] },
  { kind: 'a Mach-O universal binary or Java class', magic: [0xca, 0xfe, 0xba, 0xbe] },
];
const SIGNATURE_BYTES = Math.max(...EXECUTABLE_SIGNATURES.map((s) => s.magic.length));

export interface ArchiveFile {
  /** Relative to the archive root, without a leading "./". */
  path: string;
  size: number;
}

export interface ArchiveSummary {
  files: ArchiveFile[];
  /** Uncompressed bytes of all files. */
  totalBytes: number;
  /** The archive's own rulestack.json, parsed; its name and version equal the expected ones. */
  manifest: unknown;
}

const reject = (problem: string) => badRequest(`Archive rejected: ${problem}`);

/** Quotes an archive path for a message: escapes control characters, bounds the length. */
function quote(path: string): string {
  return JSON.stringify(path.length > 120 ? `${path.slice(0, 117)}...` : path);
}

const totalTooLarge = () =>
  reject(`the files add up to more than 10 MB uncompressed (at most ${ARCHIVE_MAX_TOTAL_BYTES} bytes in total)`);
const streamTooLarge = () =>
  reject('it uncompresses to more than 11 MB; a package may hold at most 10 MB of files plus their tar headers');

/**
 * Validates a package archive as uploaded, without trusting anything the client claims.
 * Every rejection is an ApiError with status 400 and a message naming the problem.
 * The compressed size is the caller's to bound; this bounds everything after decompression.
 */
export async function validateArchive(
  bytes: Uint8Array,
  expected: { name: string; version: string },
): Promise<ArchiveSummary> {
  rejectUnlessGzip(bytes);

  const source = Readable.from(slices(bytes), { objectMode: false });
  const gunzip = createGunzip();
  let inflatedBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflatedBytes += chunk.length;
      if (inflatedBytes > MAX_TAR_STREAM_BYTES) done(streamTooLarge());
      else done(null, chunk);
    },
  });
  const entries = tarExtract();

  // Only errors raised by the tar parser itself mean "not a tar"; ours arrive as ApiErrors.
  let parserError: unknown;
  entries.on('error', (error: unknown) => {
    parserError ??= error;
  });
  const abort = (error: ApiError) => entries.destroy(error);
  source.on('error', () => abort(reject('the upload could not be read')));
  gunzip.on('error', () => abort(reject('the gzip data is corrupt or truncated')));
  meter.on('error', (error) => abort(error instanceof ApiError ? error : streamTooLarge()));
  source.pipe(gunzip).pipe(meter).pipe(entries);

  try {
    return await readEntries(entries, expected);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (parserError !== undefined && error === parserError) {
      throw reject('the gzip content is not a valid tar archive, or it is truncated');
    }
    throw error;
  } finally {
    source.destroy();
    gunzip.destroy();
    meter.destroy();
    entries.destroy();
  }
}

function rejectUnlessGzip(bytes: Uint8Array): void {
  if (bytes.length === 0) throw reject('the archive is empty');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return;
  const ascii = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString('latin1');
  if (ascii(0, 4) === 'PK\x03\x04') {
    throw reject('it is a zip file; publish the gzip-compressed tar (.tgz) that rfh pack makes');
  }
  if (ascii(257, 262) === 'ustar') throw reject('it is an uncompressed tar; it must be gzip-compressed (.tgz)');
  throw reject('it is not a gzip file; publish the .tgz that rfh pack makes');
}

function* slices(bytes: Uint8Array): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += INPUT_SLICE_BYTES) {
    const end = Math.min(offset + INPUT_SLICE_BYTES, bytes.length);
    yield Buffer.from(bytes.buffer, bytes.byteOffset + offset, end - offset);
  }
}

async function readEntries(
  entries: Extract,
  expected: { name: string; version: string },
): Promise<ArchiveSummary> {
  const files: ArchiveFile[] = [];
  const seen = new Set<string>();
  const manifests = new Map<string, string>();
  let declaredBytes = 0;
  let totalBytes = 0;

  for await (const entry of entries) {
    const { header } = entry;
    const path = entryPath(header.name);
    if (header.type === 'directory') continue;
    rejectUnlessRegularFile(header, path);
    if (path === '') throw reject('a file entry has an empty name');
    if (seen.has(path)) throw reject(`${quote(path)} appears more than once`);
    seen.add(path);
    if (files.length === ARCHIVE_MAX_FILES) throw reject(`it contains more than ${ARCHIVE_MAX_FILES} files`);
    rejectUnlessAllowedExtension(path);
    if (header.size > ARCHIVE_MAX_FILE_BYTES) throw fileTooLarge(path, header.size);
    // Checked on the declared size before reading, so an entry announcing gigabytes is
    // refused without inflating any of it.
    declaredBytes += header.size;
    if (declaredBytes > ARCHIVE_MAX_TOTAL_BYTES) throw totalTooLarge();

    const keepText = MANIFEST_PATHS.includes(path);
    const { size, text } = await readTextFile(entry, path, keepText);
    totalBytes += size;
    if (totalBytes > ARCHIVE_MAX_TOTAL_BYTES) throw totalTooLarge();
    files.push({ path, size });
    if (keepText) manifests.set(path, text);
  }

  const manifest = embeddedManifest(manifests, expected);
  return { files, totalBytes, manifest };
}

/** The entry's path without "./" or empty segments, or a rejection if it could land outside the package. */
function entryPath(name: string): string {
  if (name.length > ARCHIVE_MAX_PATH_LENGTH) {
    throw reject(`a path is longer than ${ARCHIVE_MAX_PATH_LENGTH} characters: ${quote(name)}`);
  }
  if (/[\u0000-\u001f\u007f]/.test(name)) throw reject(`the path ${quote(name)} contains a control character`);
  if (name.includes('\\')) throw reject(`the path ${quote(name)} contains a backslash; paths must use "/"`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    throw reject(`${quote(name)} is an absolute path; paths must be relative to the package directory`);
  }
  const segments = name.split('/');
  if (segments.includes('..')) throw reject(`${quote(name)} escapes the package directory`);
  return segments.filter((segment) => segment !== '' && segment !== '.').join('/');
}

function rejectUnlessRegularFile(header: Header, path: string): void {
  const type: string | null = header.type;
  switch (type) {
    case 'file':
      return;
    case 'symlink':
      throw reject(`${quote(path)} is a symbolic link; only regular files are allowed`);
    case 'link':
      throw reject(`${quote(path)} is a hard link; only regular files are allowed`);
    case 'character-device':
    case 'block-device':
      throw reject(`${quote(path)} is a device; only regular files are allowed`);
    case 'fifo':
      throw reject(`${quote(path)} is a FIFO; only regular files are allowed`);
    default:
      throw reject(`${quote(path)} is not a regular file (tar entry type ${type ?? 'unknown'}); only regular files are allowed`);
  }
}

function rejectUnlessAllowedExtension(path: string): void {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 ? base.slice(dot) : '';
  if ((ARCHIVE_ALLOWED_EXTENSIONS as readonly string[]).includes(extension)) return;
  throw reject(`${quote(path)} is not an allowed file type; only .md, .mdc, .txt and .json files may be published`);
}

const fileTooLarge = (path: string, size: number) =>
  reject(`${quote(path)} is ${size} bytes; a file may be at most 1 MB (${ARCHIVE_MAX_FILE_BYTES} bytes)`);

/**
 * Reads one file, checking as it streams that it is UTF-8 text: no executable signature,
 * no NUL byte, no invalid or truncated sequence. Returns the text only when asked to keep it.
 */
async function readTextFile(
  entry: AsyncIterable<unknown>,
  path: string,
  keepText: boolean,
): Promise<{ size: number; text: string }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let size = 0;
  let text = '';
  // The first bytes are held back until there are enough to recognise a signature, so an
  // executable is reported as one rather than as the invalid UTF-8 or NUL that follows.
  let head: Uint8Array[] | null = [];
  let headBytes = 0;

  const inspect = (chunk: Uint8Array) => {
    if (chunk.includes(0)) throw reject(`${quote(path)} contains a NUL byte; only text files are allowed`);
    let decoded: string;
    try {
      decoded = decoder.decode(chunk, { stream: true });
    } catch {
      throw notUtf8(path);
    }
    if (keepText) text += decoded;
  };
  const releaseHead = (held: Uint8Array[]) => {
    rejectExecutable(held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held), path);
    head = null;
    held.forEach(inspect);
  };

  for await (const chunk of entry) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('tar-stream yielded a chunk that is not bytes');
    size += chunk.length;
    if (size > ARCHIVE_MAX_FILE_BYTES) throw fileTooLarge(path, size);
    if (head === null) {
      inspect(chunk);
      continue;
    }
    head.push(chunk);
    headBytes += chunk.length;
    if (headBytes >= SIGNATURE_BYTES) releaseHead(head);
  }
  if (head !== null) releaseHead(head);
  try {
    const rest = decoder.decode();
    if (keepText) text += rest;
  } catch {
    throw notUtf8(path);
  }
  return { size, text };
}

const notUtf8 = (path: string) => reject(`${quote(path)} is not valid UTF-8 text`);

function rejectExecutable(head: Uint8Array, path: string): void {
  for (const { kind, magic } of EXECUTABLE_SIGNATURES) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) {
      throw reject(`${quote(path)} starts like ${kind}; only text files are allowed`);
    }
  }
}

function embeddedManifest(manifests: Map<string, string>, expected: { name: string; version: string }): unknown {
  if (manifests.size === 0) {
    throw reject('it contains no rulestack.json; rfh pack puts the package manifest at the root of the archive');
  }
  if (manifests.size > 1) {
    throw reject(`it contains both ${[...manifests.keys()].join(' and ')}; it may carry only one package manifest`);
  }
  const [path, text] = [...manifests][0] as [string, string];
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw reject(`${path} is not valid JSON`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw reject(`${path} must be a JSON object with the package's name and version`);
  }
  const { name, version } = manifest as Record<string, unknown>;
  const differences: string[] = [];
  const shown = (value: unknown) => (value === undefined ? 'missing' : quote(typeof value === 'string' ? value : JSON.stringify(value)));
  if (name !== expected.name) {
    differences.push(`name is ${shown(name)} in the archive but ${quote(expected.name)} in the manifest`);
  }
  if (version !== expected.version) {
    differences.push(`version is ${shown(version)} in the archive but ${quote(expected.version)} in the manifest`);
  }
  if (differences.length > 0) throw reject(`${path} does not match the manifest: ${differences.join('; ')}`);
  return manifest;
}
