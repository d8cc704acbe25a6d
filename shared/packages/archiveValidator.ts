import { Readable, Transform } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { Minimatch, type MinimatchOptions } from 'minimatch';
import { extract as tarExtract, type Extract, type Header } from 'tar-stream';
import { ApiError, badRequest } from '../errors.js';
import { checkStructure } from '../validation.js';
import { manifestSchema, PACKAGE_FILES_MAX, type Manifest, type ManifestClaims } from './manifest.js';

// Server-side checks of a published .tgz. They repeat the rfh client's own checks because a
// client can be modified or bypassed; they read the archive as a stream and give up at the
// first problem, so a hostile archive costs at most the limits below, never its claimed size.

export const ARCHIVE_MAX_FILES = PACKAGE_FILES_MAX;
export const ARCHIVE_MAX_FILE_BYTES = 1_048_576;
export const ARCHIVE_MAX_TOTAL_BYTES = 10_485_760;
export const ARCHIVE_ALLOWED_EXTENSIONS = ['.md', '.mdc', '.txt', '.json'] as const;
export const ARCHIVE_MAX_PATH_LENGTH = 1024;
/** Of one file or directory name: what Linux, macOS and Windows file systems can store. */
export const ARCHIVE_MAX_NAME_BYTES = 255;

// The optional fields of a gzip header (RFC 1952: FEXTRA, FNAME, FCOMMENT) are not part of the
// package, yet they are stored and served with it. A file name and an extra field are bounded
// (gzip(1) writes the original name, some tools a short extra field); a comment is refused.
export const GZIP_MAX_HEADER_FIELD_BYTES = 255;
// Concatenated gzip members are valid gzip (and rfh reads them), but rfh pack writes one.
const GZIP_MAX_MEMBERS = 100;

// `files` entries are matched with minimatch, whose matching time is polynomial however hostile
// the pattern. Brace groups multiply patterns, so the patterns they expand to are counted.
export const FILES_MAX_PATTERNS = 20;
const GLOB_OPTIONS: MinimatchOptions = {
  dot: true,
  // "!x" is not an exclusion that would cover every other file; "#" starts no comment.
  nonegate: true,
  nocomment: true,
  // Only what rfh's glob library knows: *, **, ?, [...] and {a,b}.
  noext: true,
  magicalBraces: true,
  platform: 'linux',
  braceExpandMax: FILES_MAX_PATTERNS + 1,
};

// Headers, padding and end blocks of a legitimate 100-file archive take a few hundred KB. The
// decompressed tar stream is capped at the file limit plus this, because tar readers skip
// empty blocks: gigabytes of zeros would otherwise pass every per-file check.
const TAR_OVERHEAD_ALLOWANCE = 1_048_576;
export const MAX_TAR_STREAM_BYTES = ARCHIVE_MAX_TOTAL_BYTES + TAR_OVERHEAD_ALLOWANCE;

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
  /** The whole file, checked to be UTF-8 without NUL (a byte order mark is dropped). */
  text: string;
}

export interface ArchiveSummary {
  files: ArchiveFile[];
  /** Uncompressed bytes of all files. */
  totalBytes: number;
  /**
   * The archive's own rulestack.json, validated: what the package says about itself, and so what
   * the registry stores and shows. Every field the publish form stated agrees with it.
   */
  manifest: Manifest;
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
 * `expected` is what the publish form's manifest states; the archive's rulestack.json must agree
 * with every field of it. Every rejection is an ApiError with status 400 and a message naming the
 * problem. The compressed size is the caller's to bound; this bounds everything after decompression.
 */
export async function validateArchive(bytes: Uint8Array, expected: ManifestClaims): Promise<ArchiveSummary> {
  rejectUnlessGzip(bytes);

  const source = Readable.from(inflateMembers(bytes), { objectMode: false });
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
  source.on('error', (error) => abort(error instanceof ApiError ? error : corruptGzip()));
  meter.on('error', (error) => abort(error instanceof ApiError ? error : streamTooLarge()));
  source.pipe(meter).pipe(entries);

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

const corruptGzip = () => reject('the gzip data is corrupt or truncated');

/**
 * The decompressed bytes of each gzip member in turn. Each member's header is read here (so its
 * optional fields are bounded) and its trailer checked (CRC-32 and length); after the last member
 * nothing may follow.
 */
async function* inflateMembers(bytes: Uint8Array): AsyncGenerator<Buffer> {
  let start = 0;
  for (let member = 1; start < bytes.length; member++) {
    if (bytes[start] !== 0x1f || bytes[start + 1] !== 0x8b) {
      throw reject(`there are ${bytes.length - start} bytes after the end of the gzip data`);
    }
    if (member > GZIP_MAX_MEMBERS) throw reject(`it is made of more than ${GZIP_MAX_MEMBERS} gzip members; rfh pack writes one`);
    const dataStart = gzipDataStart(bytes, start);
    // A raw inflater stops at the end of the member's deflate data; how much input it consumed
    // says where the trailer is.
    const inflate = createInflateRaw();
    const input = Readable.from(slices(bytes, dataStart), { objectMode: false });
    input.on('error', (error) => inflate.destroy(error));
    input.pipe(inflate);
    let crc = 0;
    let size = 0;
    try {
      for await (const chunk of inflate as AsyncIterable<Buffer>) {
        crc = crc32(chunk, crc);
        size = (size + chunk.length) % 2 ** 32;
        yield chunk;
      }
    } catch (error) {
      throw error instanceof ApiError ? error : corruptGzip();
    } finally {
      input.destroy();
      inflate.destroy();
    }
    const trailer = dataStart + inflate.bytesWritten;
    if (trailer + 8 > bytes.length) throw corruptGzip();
    const view = new DataView(bytes.buffer, bytes.byteOffset + trailer, 8);
    if (view.getUint32(0, true) !== crc || view.getUint32(4, true) !== size) throw corruptGzip();
    start = trailer + 8;
  }
}

const GZIP_FHCRC = 0x02;
const GZIP_FEXTRA = 0x04;
const GZIP_FNAME = 0x08;
const GZIP_FCOMMENT = 0x10;
const GZIP_RESERVED_FLAGS = 0xe0;

/** Where the deflate data of the gzip member at `start` begins, once its header is checked (RFC 1952, 2.3). */
function gzipDataStart(bytes: Uint8Array, start: number): number {
  if (bytes.length - start < 10 || bytes[start + 2] !== 8) throw corruptGzip();
  const flags = bytes[start + 3]!;
  if (flags & GZIP_RESERVED_FLAGS) throw corruptGzip();
  let at = start + 10;
  if (flags & GZIP_FEXTRA) {
    if (at + 2 > bytes.length) throw corruptGzip();
    const length = bytes[at]! | (bytes[at + 1]! << 8);
    if (length > GZIP_MAX_HEADER_FIELD_BYTES) {
      throw reject(`its gzip header's extra field is ${length} bytes; at most ${GZIP_MAX_HEADER_FIELD_BYTES} are allowed`);
    }
    at += 2 + length;
  }
  if (flags & GZIP_FNAME) {
    const end = bytes.subarray(at, at + GZIP_MAX_HEADER_FIELD_BYTES + 1).indexOf(0);
    if (end === -1) {
      if (bytes.length - at > GZIP_MAX_HEADER_FIELD_BYTES) {
        throw reject(`its gzip header's file name is longer than ${GZIP_MAX_HEADER_FIELD_BYTES} bytes`);
      }
      throw corruptGzip();
    }
    at += end + 1;
  }
  if (flags & GZIP_FCOMMENT) {
    throw reject('its gzip header carries a comment; the archive is stored and served as uploaded, so it may carry nothing but the package');
  }
  if (flags & GZIP_FHCRC) {
    if (at + 2 > bytes.length) throw corruptGzip();
    if ((crc32(bytes.subarray(start, at)) & 0xffff) !== (bytes[at]! | (bytes[at + 1]! << 8))) throw corruptGzip();
    at += 2;
  }
  if (at > bytes.length) throw corruptGzip();
  return at;
}

export function* slices(bytes: Uint8Array, from = 0): Generator<Buffer> {
  for (let offset = from; offset < bytes.length; offset += INPUT_SLICE_BYTES) {
    const end = Math.min(offset + INPUT_SLICE_BYTES, bytes.length);
    yield Buffer.from(bytes.buffer, bytes.byteOffset + offset, end - offset);
  }
}

async function readEntries(entries: Extract, expected: ManifestClaims): Promise<ArchiveSummary> {
  const files: ArchiveFile[] = [];
  const seen = new Set<string>();
  const manifests = new Map<string, string>();
  // Paths as a case-insensitive, normalisation-insensitive file system sees them (fold()), mapped
  // to the path as the archive spells it: files, and directories (explicit or implied by a file).
  const foldedFiles = new Map<string, string>();
  const foldedDirectories = new Map<string, string>();
  const directories = new Set<string>();
  const noteDirectory = (directory: string) => {
    const key = fold(directory);
    const file = foldedFiles.get(key);
    if (file !== undefined) throw fileAndDirectory(file);
    if (!foldedDirectories.has(key)) foldedDirectories.set(key, directory);
    directories.add(directory);
  };
  let declaredBytes = 0;
  let totalBytes = 0;

  for await (const entry of entries) {
    const { header } = entry;
    const path = entryPath(header.name);
    if (header.type === 'directory') {
      if (path !== '') [...parentsOf(path), path].forEach(noteDirectory);
      continue;
    }
    rejectUnlessRegularFile(header, path);
    if (path === '') throw reject('a file entry has an empty name');
    if (seen.has(path)) throw reject(`${quote(path)} appears more than once`);
    seen.add(path);
    const key = fold(path);
    const twin = foldedFiles.get(key);
    if (twin !== undefined) {
      throw reject(
        `${quote(path)} and ${quote(twin)} would overwrite each other when extracted on macOS or Windows: the names differ only in letter case or Unicode normalisation`,
      );
    }
    if (foldedDirectories.has(key)) throw fileAndDirectory(path);
    parentsOf(path).forEach(noteDirectory);
    foldedFiles.set(key, path);
    if (files.length === ARCHIVE_MAX_FILES) throw reject(`it contains more than ${ARCHIVE_MAX_FILES} files`);
    rejectUnlessAllowedExtension(path);
    if (header.size > ARCHIVE_MAX_FILE_BYTES) throw fileTooLarge(path, header.size);
    // Checked on the declared size before reading, so an entry announcing gigabytes is
    // refused without inflating any of it.
    declaredBytes += header.size;
    if (declaredBytes > ARCHIVE_MAX_TOTAL_BYTES) throw totalTooLarge();

    const { size, text } = await readTextFile(entry, path);
    totalBytes += size;
    if (totalBytes > ARCHIVE_MAX_TOTAL_BYTES) throw totalTooLarge();
    files.push({ path, size, text });
    if (MANIFEST_PATHS.includes(path)) manifests.set(path, text);
  }

  const { path: manifestPath, manifest } = embeddedManifest(manifests, expected);
  checkListedFiles(manifestPath, manifest, files, directories);
  return { files, totalBytes, manifest };
}

/**
 * The key under which two paths name the same file on a file system that ignores letter case and
 * Unicode normalisation (macOS, Windows): NFC, then case folded (upper then lower case, so that
 * e.g. "ß" and "SS" meet too). Stricter than any one file system, never looser.
 */
const fold = (path: string) => path.normalize('NFC').toUpperCase().toLowerCase();

/** "a", "a/b" for "a/b/c.md". */
function parentsOf(path: string): string[] {
  const segments = path.split('/');
  return segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'));
}

const fileAndDirectory = (path: string) =>
  reject(`${quote(path)} is both a file and a directory; it could not be extracted`);

// Characters Windows refuses in a file name; ":" would also write to an NTFS alternate data stream.
const WINDOWS_FORBIDDEN_CHARACTER = /[<>:"|?*]/;
// Device names Windows reserves in every directory, whatever follows the first dot.
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$)$/i;

/** Every name of a path (already split, without "." and empty segments) must be extractable everywhere rfh runs. */
function rejectUnportableNames(name: string, segments: string[]): void {
  for (const segment of segments) {
    if (Buffer.byteLength(segment) > ARCHIVE_MAX_NAME_BYTES) {
      throw reject(`${quote(name)} has a name longer than ${ARCHIVE_MAX_NAME_BYTES} bytes, which file systems cannot store`);
    }
    if (segment.endsWith('.') || segment.endsWith(' ')) {
      throw reject(`${quote(name)} has a name that ends in a dot or a space, which Windows drops when extracting`);
    }
    const device = (segment.split('.', 1)[0] as string).trimEnd();
    if (WINDOWS_DEVICE_NAME.test(device)) {
      throw reject(`${quote(name)}: ${quote(device)} is a reserved device name on Windows`);
    }
  }
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
  const forbidden = WINDOWS_FORBIDDEN_CHARACTER.exec(name);
  if (forbidden) throw reject(`${quote(name)} contains ${quote(forbidden[0])}, which Windows does not allow in a file name`);
  const segments = name.split('/');
  if (segments.includes('..')) throw reject(`${quote(name)} escapes the package directory`);
  const kept = segments.filter((segment) => segment !== '' && segment !== '.');
  rejectUnportableNames(name, kept);
  return relativeEntryPath(name);
}

/** A tar entry's name as the package's path: without "./" and empty segments. */
export const relativeEntryPath = (name: string) =>
  name
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');

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
 * no NUL byte, no invalid or truncated sequence. The text is kept so publish can index it
 * without inflating the archive a second time.
 */
async function readTextFile(entry: AsyncIterable<unknown>, path: string): Promise<{ size: number; text: string }> {
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
    text += decoded;
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
    text += decoder.decode();
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

function embeddedManifest(manifests: Map<string, string>, expected: ManifestClaims): { path: string; manifest: Manifest } {
  if (manifests.size === 0) {
    throw reject('it contains no rulestack.json; rfh pack puts the package manifest at the root of the archive');
  }
  if (manifests.size > 1) {
    throw reject(`it contains both ${[...manifests.keys()].join(' and ')}; it may carry only one package manifest`);
  }
  const [path, text] = [...manifests][0] as [string, string];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw reject(`${path} is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw reject(`${path} must be a JSON object with the package's name and version`);
  }
  // Bounded before anything walks it recursively (the comparisons below, the schema).
  try {
    checkStructure(json, 'manifest');
  } catch (err) {
    throw reject(`${path} is not a valid package manifest: ${(err as Error).message.replace(/^Invalid /, '')}`);
  }
  const own = json as Record<string, unknown>;
  const differences: string[] = [];
  const shown = (value: unknown) => (value === undefined ? 'missing' : quote(typeof value === 'string' ? value : JSON.stringify(value)));
  if (own.name !== expected.name) {
    differences.push(`name is ${shown(own.name)} in the archive but ${quote(expected.name)} in the manifest`);
  }
  if (own.version !== expected.version) {
    differences.push(`version is ${shown(own.version)} in the archive but ${quote(expected.version)} in the manifest`);
  }
  if (differences.length > 0) throw reject(`${path} does not match the manifest: ${differences.join('; ')}`);

  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? `${issue.path.join('.')} ` : '';
    throw reject(`${path} is not a valid package manifest: ${field}${issue?.message ?? 'malformed'}`);
  }
  const manifest = parsed.data;
  differences.push(...claimDifferences(manifest, own, expected));
  if (differences.length > 0) throw reject(`${path} does not match the manifest: ${differences.join('; ')}`);
  return { path, manifest };
}

/** A `files` entry as a path relative to the package: without leading "./". */
const fileEntry = (entry: string) => entry.replace(/^(\.\/+)+/, '');

const sameList = (a: readonly string[], b: readonly string[]) => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((item, i) => item === y[i]);
};

/** A list for a message: JSON, bounded in length. */
function shownList(list: readonly string[]): string {
  const json = JSON.stringify(list);
  return json.length > 120 ? `${json.slice(0, 116)}...]` : json;
}

/**
 * How the archive's manifest differs from what the form stated, compared after the same
 * normalisation (tags lower-cased and deduplicated, lists as sets, "./" dropped from files,
 * absent and empty alike). Fields the form left out state nothing.
 */
function claimDifferences(manifest: Manifest, own: Record<string, unknown>, expected: ManifestClaims): string[] {
  const differences: string[] = [];
  const absent = (field: string) => own[field] === undefined || own[field] === null;
  const text = (field: 'description' | 'license', ours: string, theirs: string) => {
    if (ours === theirs) return;
    const archived = absent(field) ? 'missing' : quote(ours);
    differences.push(`${field} is ${archived} in the archive but ${theirs === '' ? 'empty' : quote(theirs)} in the manifest`);
  };
  const list = (field: 'targets' | 'tags' | 'files', ours: string[], theirs: string[], normalise = (x: string) => x) => {
    if (sameList(ours.map(normalise), theirs.map(normalise))) return;
    const archived = absent(field) ? 'missing' : shownList(ours);
    differences.push(`${field} are ${archived} in the archive but ${shownList(theirs)} in the manifest`);
  };
  if (expected.description !== undefined) text('description', manifest.description, expected.description);
  if (expected.targets !== undefined) list('targets', manifest.targets, expected.targets);
  if (expected.tags !== undefined) list('tags', manifest.tags, expected.tags);
  if (expected.files !== undefined) list('files', manifest.files, expected.files, fileEntry);
  if (expected.license !== undefined) text('license', manifest.license ?? '', expected.license);
  return differences;
}

/**
 * Every file of the archive but rulestack.json must be covered by an entry of its `files`
 * (paths relative to the directory of rulestack.json, or glob patterns as older clients wrote
 * them), and every entry that is a plain path must name a file or directory of the archive.
 */
function checkListedFiles(manifestPath: string, manifest: Manifest, files: ArchiveFile[], directories: Set<string>): void {
  const base = manifestPath.slice(0, manifestPath.lastIndexOf('/') + 1);
  const present = new Set(files.map((f) => f.path));
  const literals = new Set<string>();
  const patterns: Minimatch[] = [];
  let expanded = 0;
  for (const entry of manifest.files.map(fileEntry)) {
    const pattern = new Minimatch(entry, GLOB_OPTIONS);
    if (!pattern.hasMagic()) {
      if (!present.has(base + entry) && !directories.has(base + entry)) {
        throw reject(`${manifestPath} lists ${quote(entry)} in files, but the archive has no such file`);
      }
      literals.add(entry);
      continue;
    }
    expanded += pattern.set.length;
    if (expanded > FILES_MAX_PATTERNS) {
      throw reject(`the files of ${manifestPath} hold more than ${FILES_MAX_PATTERNS} glob patterns (a {a,b} group counts each choice); list the files instead`);
    }
    patterns.push(pattern);
  }
  for (const { path } of files) {
    if (path === manifestPath) continue;
    const relative = path.startsWith(base) ? path.slice(base.length) : undefined;
    if (relative !== undefined && (literals.has(relative) || patterns.some((p) => p.match(relative)))) continue;
    throw reject(`${quote(path)} is not covered by the files of ${manifestPath} (${shownList(manifest.files)}); it must list every file of the package`);
  }
}
