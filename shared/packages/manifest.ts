import { z } from 'zod';

// The package manifest as `rfh publish` sends it (and as `rfh pack` embeds it in the archive
// as rulestack.json). The same schemas validate requests and describe them in OpenAPI.

// Name and version patterns are the client's own, character for character, so anything the
// client accepts the server accepts too.
export const PACKAGE_NAME_PATTERN = /^(@[a-z0-9][a-z0-9\-_]*\/)?[a-z0-9][a-z0-9\-_]*$/;
// npm's limit; long enough for any real scoped name, short enough for keys and URLs.
export const PACKAGE_NAME_MAX = 214;
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
  .min(1, 'is required')
  .max(PACKAGE_NAME_MAX, `must be at most ${PACKAGE_NAME_MAX} characters`)
  .regex(
    PACKAGE_NAME_PATTERN,
    'must be a package name like "my-rules" or "@my-scope/my-rules": lower-case letters, digits, "-" and "_", starting with a letter or digit',
  );

export const packageVersion = z
  .string({ error: 'must be a string' })
  .min(1, 'is required')
  .max(VERSION_MAX, `must be at most ${VERSION_MAX} characters`)
  .regex(VERSION_PATTERN, 'must be a version like 1.2.3, 1.2.3-beta or 1.2.3+build');

/**
 * The Go client omits empty lists (`omitempty`) and would send a nil slice as null, so absent
 * and null both mean "none".
 */
function list<T extends z.ZodType>(item: T, max: number, what: string) {
  return z
    .array(item, { error: `must be a list of ${what}` })
    .max(max, `must have at most ${max} ${what}`)
    .nullish()
    .transform((items): z.output<T>[] => items ?? []);
}

const tag = z
  .string({ error: 'must be a string' })
  .trim()
  .toLowerCase()
  .min(1, 'must not be empty')
  .max(TAG_MAX_LENGTH, `must be at most ${TAG_MAX_LENGTH} characters`)
  .regex(TAG_PATTERN, 'may contain only letters, digits and "-", and must start with a letter or digit');

const target = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(TARGET_MAX_LENGTH, `must be at most ${TARGET_MAX_LENGTH} characters`)
  .regex(TARGET_PATTERN, 'must be a tool name like "cursor" or "claude-code"');

const fileEntry = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(FILE_ENTRY_MAX_LENGTH, `must be at most ${FILE_ENTRY_MAX_LENGTH} characters`);

export const manifestSchema = z.object(
  {
    name: packageName,
    version: packageVersion,
    description: z
      .string({ error: 'must be a string' })
      .max(DESCRIPTION_MAX, `must be at most ${DESCRIPTION_MAX} characters`)
      .nullish()
      .transform((text) => text ?? ''),
    targets: list(target, TARGETS_MAX, 'targets'),
    // Tags are compared case-insensitively by search, and a tag given twice once lower-cased
    // would only collide in storage.
    tags: list(tag, TAGS_MAX, 'tags').transform((tags) => [...new Set(tags)]),
    files: list(fileEntry, PACKAGE_FILES_MAX, 'files'),
    license: z
      .string({ error: 'must be a string' })
      .max(LICENSE_MAX, `must be at most ${LICENSE_MAX} characters`)
      .nullish()
      .transform((license) => license ?? undefined),
  },
  { error: 'must be a JSON object' },
);

export type Manifest = z.output<typeof manifestSchema>;

interface ParsedVersion {
  core: [string, string, string];
  prerelease: string[];
}

function parseVersion(version: string): ParsedVersion {
  if (!VERSION_PATTERN.test(version)) throw new TypeError(`Not a package version: ${JSON.stringify(version)}`);
  const withoutBuild = version.split('+', 1)[0] as string;
  const dash = withoutBuild.indexOf('-');
  const core = (dash === -1 ? withoutBuild : withoutBuild.slice(0, dash)).split('.') as [string, string, string];
  const prerelease = dash === -1 ? [] : withoutBuild.slice(dash + 1).split('.');
  return { core, prerelease };
}

/** Compares digit strings by value without Number's 2^53 ceiling: the pattern allows any length. */
function compareNumeric(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

const NUMERIC_IDENTIFIER = /^\d+$/;

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = NUMERIC_IDENTIFIER.test(a);
  const bNumeric = NUMERIC_IDENTIFIER.test(b);
  if (aNumeric && bNumeric) return compareNumeric(a, b);
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Semantic-versioning precedence (semver.org, section 11): negative when a comes before b.
 * A pre-release sorts before its release, build metadata is ignored, so two different strings
 * (1.0.0+a and 1.0.0+b, or 01.0.0 and 1.0.0) can compare equal; versions are still stored and
 * looked up by their exact string. Throws TypeError for strings that are not versions.
 */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    const order = compareNumeric(x.core[i] as string, y.core[i] as string);
    if (order !== 0) return order;
  }
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return Math.sign(y.prerelease.length - x.prerelease.length) || 0;
  }
  const shared = Math.min(x.prerelease.length, y.prerelease.length);
  for (let i = 0; i < shared; i++) {
    const order = compareIdentifiers(x.prerelease[i] as string, y.prerelease[i] as string);
    if (order !== 0) return order;
  }
  return Math.sign(x.prerelease.length - y.prerelease.length) || 0;
}
