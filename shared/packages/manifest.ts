import parseSemver from 'semver/functions/parse.js';
import * as z from 'zod/mini';

// The package manifest as `rfh publish` sends it (and as `rfh pack` embeds it in the archive
// as rulestack.json). The same schemas validate requests and describe them in OpenAPI.

// Name and version patterns are the client's own, character for character. A version must also
// be valid Semantic Versioning 2.0.0 (no leading zeros, numbers below 2^53), so that two spellings
// of one version (1.0.0 and 01.0.0) cannot both be published.
export const PACKAGE_NAME_PATTERN = /^(@[a-z0-9][a-z0-9\-_]*\/)?[a-z0-9][a-z0-9\-_]*$/;
// npm's limit; long enough for any real scoped name, short enough for keys and URLs.
export const PACKAGE_NAME_MAX = 214;
// eslint-disable-next-line no-useless-escape -- the client's pattern, kept character for character
export const VERSION_PATTERN = /^\d+\.\d+\.\d+(-[a-zA-Z0-9\-]+)?(\+[a-zA-Z0-9\-]+)?$/;
export const VERSION_MAX = 64;

export const DESCRIPTION_MAX = 1000;
export const TAGS_MAX = 20;
export const TAG_MAX_LENGTH = 50;
export const TAG_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
export const TARGETS_MAX = 20;
export const TARGET_MAX_LENGTH = 50;
// Targets name tools ("cursor", "claude-code") and are matched by ?target= filters, so they
// stay plain words: no spaces, no punctuation beyond what tool names use.
export const TARGET_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Also the archive's file limit: a manifest cannot list more files than an archive may hold. */
export const PACKAGE_FILES_MAX = 100;
export const FILE_ENTRY_MAX_LENGTH = 1024;
export const LICENSE_MAX = 100;

export const packageName = z
  .string({ error: 'must be a string' })
  .check(
    z.minLength(1, 'is required'),
    z.maxLength(PACKAGE_NAME_MAX, `must be at most ${PACKAGE_NAME_MAX} characters`),
    z.regex(
      PACKAGE_NAME_PATTERN,
      'must be a package name like "my-rules" or "@my-scope/my-rules": lower-case letters, digits, "-" and "_", starting with a letter or digit',
    ),
  );

export const packageVersion = z
  .string({ error: 'must be a string' })
  .check(
    z.minLength(1, 'is required'),
    z.maxLength(VERSION_MAX, `must be at most ${VERSION_MAX} characters`),
    z.regex(VERSION_PATTERN, 'must be a version like 1.2.3, 1.2.3-beta or 1.2.3+build'),
    z.refine(
      (version) => !VERSION_PATTERN.test(version) || parseSemver(version) !== null,
      'must be a semantic version (semver.org): numbers without leading zeros (1.2.3, not 01.2.3) and below 2^53',
    ),
  );

/**
 * The Go client omits empty lists (`omitempty`) and would send a nil slice as null, so absent
 * and null both mean "none".
 */
function list<T extends z.ZodMiniType>(item: T, max: number, what: string) {
  return z.pipe(
    z.nullish(z.array(item, { error: `must be a list of ${what}` }).check(z.maxLength(max, `must have at most ${max} ${what}`))),
    z.transform((items: z.output<T>[] | null | undefined): z.output<T>[] => items ?? []),
  );
}

const tag = z
  .string({ error: 'must be a string' })
  .check(
    z.trim(),
    z.toLowerCase(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(TAG_MAX_LENGTH, `must be at most ${TAG_MAX_LENGTH} characters`),
    z.regex(TAG_PATTERN, 'may contain only letters, digits and "-", and must start with a letter or digit'),
  );

const target = z
  .string({ error: 'must be a string' })
  .check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(TARGET_MAX_LENGTH, `must be at most ${TARGET_MAX_LENGTH} characters`),
    z.regex(TARGET_PATTERN, 'must be a tool name like "cursor" or "claude-code"'),
  );

const fileEntry = z
  .string({ error: 'must be a string' })
  .check(z.minLength(1, 'must not be empty'), z.maxLength(FILE_ENTRY_MAX_LENGTH, `must be at most ${FILE_ENTRY_MAX_LENGTH} characters`));

export const manifestSchema = z.object(
  {
    name: packageName,
    version: packageVersion,
    description: z.pipe(
      z.nullish(z.string({ error: 'must be a string' }).check(z.maxLength(DESCRIPTION_MAX, `must be at most ${DESCRIPTION_MAX} characters`))),
      z.transform((text: string | null | undefined) => text ?? ''),
    ),
    targets: list(target, TARGETS_MAX, 'targets'),
    // Tags are compared case-insensitively by search, and a tag given twice once lower-cased
    // would only collide in storage.
    tags: z.pipe(list(tag, TAGS_MAX, 'tags'), z.transform((tags: string[]) => [...new Set(tags)])),
    files: list(fileEntry, PACKAGE_FILES_MAX, 'files'),
    license: z.pipe(
      z.nullish(z.string({ error: 'must be a string' }).check(z.maxLength(LICENSE_MAX, `must be at most ${LICENSE_MAX} characters`))),
      z.transform((license: string | null | undefined) => license ?? undefined),
    ),
  },
  { error: 'must be a JSON object' },
);

export type Manifest = z.output<typeof manifestSchema>;

/**
 * What a publish form's manifest states: name and version always, every other field only when
 * the form gave it (absent or null states nothing). The archive's rulestack.json must agree.
 */
export type ManifestClaims = Pick<Manifest, 'name' | 'version'> & Partial<Pick<Manifest, 'description' | 'targets' | 'tags' | 'files' | 'license'>>;

export function claimsOf(manifest: Manifest, raw: unknown): ManifestClaims {
  const given = (field: string) => typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>)[field] != null;
  return {
    name: manifest.name,
    version: manifest.version,
    ...(given('description') && { description: manifest.description }),
    ...(given('targets') && { targets: manifest.targets }),
    ...(given('tags') && { tags: manifest.tags }),
    ...(given('files') && { files: manifest.files }),
    ...(given('license') && { license: manifest.license ?? '' }),
  };
}

// Versions stored before the semver check above may have leading zeros: read loosely for ordering.
const parsedVersion = (version: string) => parseSemver(version, { loose: true });

/**
 * Semantic-versioning precedence (semver.org, section 11) as the semver package computes it:
 * negative when a comes before b, 0 when they are equal in precedence (they differ only in build
 * metadata, or, for versions stored before leading zeros were refused, in leading zeros).
 * A stored string semver cannot read (a number beyond 2^53) sorts below every version.
 */
export function compareVersions(a: string, b: string): number {
  return compareReadVersions(readVersion(a), readVersion(b));
}

/**
 * A version string read for ordering: a plain MAJOR.MINOR.PATCH as its three numbers (nearly every
 * version, and semver orders those by the numbers alone), any other through semver (null when it
 * cannot read it).
 */
export interface ReadVersion {
  text: string;
  core: [number, number, number] | null;
  /** What semver reads in it (null when it cannot); for a plain version, undefined until a comparison needs it. */
  semver: ReturnType<typeof parsedVersion> | undefined;
}

// At most 15 digits: every such number is exact in a double.
const PLAIN_VERSION = /^(\d{1,15})\.(\d{1,15})\.(\d{1,15})$/;

/**
 * Whether `versions` are all plain and already newest first, as the database lists a package's
 * versions when they were published in order: nearly always, and then nothing needs sorting or
 * allocating. The numbers are read in place.
 */
export function plainAndNewestFirst(versions: readonly string[]): boolean {
  for (let i = 0; i < versions.length; i++) {
    if (!PLAIN_VERSION.test(versions[i]!)) return false;
    if (i > 0 && comparePlainVersions(versions[i - 1]!, versions[i]!) <= 0) return false;
  }
  return true;
}

/** Two plain versions (PLAIN_VERSION) compared by their three numbers, read digit by digit. */
function comparePlainVersions(a: string, b: string): number {
  let i = 0;
  let j = 0;
  for (let part = 0; part < 3; part++, i++, j++) {
    let x = 0;
    let y = 0;
    for (; i < a.length && a.charCodeAt(i) !== DOT; i++) x = x * 10 + a.charCodeAt(i) - ZERO;
    for (; j < b.length && b.charCodeAt(j) !== DOT; j++) y = y * 10 + b.charCodeAt(j) - ZERO;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
const DOT = 46;
const ZERO = 48;

export function readVersion(text: string): ReadVersion {
  const plain = PLAIN_VERSION.exec(text);
  return plain ? { text, core: [Number(plain[1]), Number(plain[2]), Number(plain[3])], semver: undefined } : { text, core: null, semver: parsedVersion(text) };
}

/** The version as semver reads it, read at most once (a plain one compared with another kind). */
const semverOf = (v: ReadVersion) => (v.semver === undefined ? (v.semver = parsedVersion(v.text)) : v.semver);

/** compareVersions of two versions read once: a sort reads each version once, not once per comparison. */
export function compareReadVersions(a: ReadVersion, b: ReadVersion): number {
  if (a.core && b.core) return Math.sign(a.core[0] - b.core[0] || a.core[1] - b.core[1] || a.core[2] - b.core[2]);
  const [x, y] = [semverOf(a), semverOf(b)];
  if (x && y) return x.compare(y);
  if (x || y) return x ? 1 : -1;
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

/**
 * The key two versions of a package share exactly when they are equal in precedence: the version
 * without its build metadata, as semver normalises it. For versions that passed packageVersion.
 */
export function precedenceKey(version: string): string {
  const parsed = parseSemver(version);
  if (!parsed) throw new TypeError(`Not a semantic version: ${JSON.stringify(version)}`);
  return parsed.version;
}
