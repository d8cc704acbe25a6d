import { ApiError, notFound } from '../errors.js';
import { DEFAULT_REGISTRY } from '../registries/Registry.js';
import { compareReadVersions, PACKAGE_NAME_PATTERN, plainAndNewestFirst, readVersion } from './manifest.js';
import type { ContentMatch } from './searchSnippet.js';
import type { QuarantineRecord, YankRecord } from './VersionStatus.js';
import { isoTimestamp } from '../isoTimestamp.js';

export type Visibility = 'public' | 'private';

/** One published version, as stored. */
export interface VersionRecord {
  id: number;
  packageId: number;
  name: string;
  version: string;
  description: string;
  tags: string[];
  targets: string[];
  license: string | null;
  sha256: string;
  sizeBytes: number;
  publishedBy: string;
  downloads: number;
  createdAt: Date;
  /** Of the registry the package lives in: decides how responses may be cached. */
  visibility: Visibility;
  yanked: YankRecord | null;
  quarantine: QuarantineRecord | null;
  safety: VersionSafety;
}

/**
 * One finding of the rule scanner, as stored with a version (shared/safety/rules.ts describes the
 * fields). `rule` is a string: a version scanned by an older scanner may name a rule this one
 * no longer has.
 */
export interface StoredFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  severity: 'refuse' | 'flag';
  message: string;
  excerpt: string;
}

/** What the rule scanner found in a version: none scanned it yet when `scannerVersion` is null. */
export interface VersionSafety {
  scannerVersion: number | null;
  findings: StoredFinding[];
}

export interface PackageRecord {
  id: number;
  name: string;
  description: string;
  latest: string | null;
  tags: string[];
  targets: string[];
  /** Every version, newest first by semantic-version precedence. */
  versions: string[];
  /** The yanked ones among them, and the quarantined ones, in the same order. */
  yankedVersions: string[];
  quarantinedVersions: string[];
  owners: string[];
  /** Downloads of all versions. */
  downloads: number;
  /** Findings of the rule scanner in the latest version (0 without one). */
  flags: number;
  registry: string;
  visibility: Visibility;
  createdAt: Date;
  updatedAt: Date;
}

/** What the web catalogue's home page shows: totals and two short lists of packages. */
export interface CatalogueOverview {
  /** Packages with a latest version (listed in search). */
  packages: number;
  versions: number;
  /** Most recently updated first. */
  recent: PackageSummary[];
  /** Most downloaded first (all versions together). */
  popular: PackageSummary[];
}

/** A search hit: the package with its latest version. */
export interface PackageSummary {
  id: number;
  name: string;
  version: string;
  description: string;
  tags: string[];
  targets: string[];
  versions: string[];
  /** Downloads of all versions. */
  downloads: number;
  /** Findings of the rule scanner in the latest version. */
  flags: number;
  /**
   * Search only: where the query matched the text of the latest version's files (at most 3), when
   * the package is a hit for its content alone; empty when its name, description or tags matched.
   */
  matches?: ContentMatch[];
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Last path segments the package routes use as literals. A scoped package with one of these
 * names would make `/v1/packages/@scope/owners` ambiguous for API Gateway, so they are reserved.
 */
export const RESERVED_PACKAGE_NAMES = new Set(['versions', 'owners']);

export function assertPublishableName(name: string): void {
  // `@default/x` would land in the registry of unscoped packages beside `x`, under rules meant for
  // unscoped names: the default registry has no scope.
  if (name.startsWith(`@${DEFAULT_REGISTRY}/`)) {
    throw new ApiError(400, `Invalid manifest.name: the scope @${DEFAULT_REGISTRY} is reserved; publish "${name.slice(name.indexOf('/') + 1)}" without a scope instead`);
  }
  const last = name.slice(name.lastIndexOf('/') + 1);
  if (RESERVED_PACKAGE_NAMES.has(last)) {
    throw new ApiError(400, `Invalid manifest.name: "${last}" is reserved and cannot be a package name`);
  }
}

/**
 * The package name from path parameters: `{name}` alone, or `{scope}/{name}` when the client sent
 * a scoped name unescaped. Anything that is not a valid name cannot exist: 404, not 400, so a
 * malformed URL reads like any other unknown package.
 */
export function packageNameFromPath(params: Record<string, string>): string {
  const name = params.scope !== undefined ? `${params.scope}/${params.name ?? ''}` : (params.name ?? '');
  if (name.length > 214 || !PACKAGE_NAME_PATTERN.test(name)) throw notFound(`Package ${JSON.stringify(name)} not found`);
  return name;
}

/**
 * Newest first; releases above pre-releases of the same core, as semver orders them. Versions equal
 * in precedence (stored before such twins were refused) keep a fixed order, by their text. A list
 * already in that order (the database lists versions newest published first) is answered as it is.
 */
export const sortVersionsNewestFirst = (versions: string[]): string[] =>
  plainAndNewestFirst(versions)
    ? versions
    : versions
        .map(readVersion)
        .sort((a, b) => compareReadVersions(b, a) || (a.text < b.text ? 1 : a.text > b.text ? -1 : 0))
        .map((v) => v.text);

/** The version `latest` points at: the highest release, or the highest pre-release if there is none. */
export function latestOf(versions: string[]): string | null {
  const sorted = sortVersionsNewestFirst(versions);
  return sorted.find((v) => !v.split('+', 1)[0]!.includes('-')) ?? sorted[0] ?? null;
}

export function versionBody(v: VersionRecord) {
  return {
    id: v.id,
    package_id: v.packageId,
    name: v.name,
    version: v.version,
    description: v.description,
    targets: v.targets,
    tags: v.tags,
    license: v.license,
    sha256: v.sha256,
    size_bytes: v.sizeBytes,
    size: v.sizeBytes,
    published_by: v.publishedBy,
    downloads: v.downloads,
    visibility: v.visibility,
    created_at: isoTimestamp(v.createdAt),
    published_at: isoTimestamp(v.createdAt),
    yanked: v.yanked && { at: isoTimestamp(v.yanked.at), reason: v.yanked.reason, by: v.yanked.by },
    quarantine: v.quarantine && { at: isoTimestamp(v.quarantine.at), reason: v.quarantine.reason },
    safety: {
      scanner_version: v.safety.scannerVersion,
      findings: v.safety.findings.map((f) => ({ file: f.file, line: f.line, column: f.column, rule: f.rule, severity: f.severity, message: f.message, excerpt: f.excerpt })),
    },
  };
}
