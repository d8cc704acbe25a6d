import { notFound } from '../errors.js';
import { logger } from '../observability/telemetry.js';
import { readArchiveFiles, UnreadableArchiveError, type ArchiveTextFile } from '../packages/archiveFiles.js';
import type { CatalogueOverview, PackageRecord, PackageSummary, VersionRecord } from '../packages/Package.js';
import type { SearchQuery } from '../ports/PackageRepo.js';
import { ANONYMOUS } from '../registries/Viewer.js';
import type { Dependencies } from '../runtime/Dependencies.js';

/**
 * What each page of the web catalogue shows, gathered from the stores. The pages are anonymous:
 * every read is the anonymous viewer's, so a private registry's packages appear on no page, for
 * anyone, and every visitor gets the same page (which a shared cache may keep).
 */

/** How many packages each list of the home page shows. */
export const HOME_LIST_LENGTH = 8;

export function homeView(deps: Dependencies): Promise<CatalogueOverview> {
  return deps.packages.catalogueOverview(ANONYMOUS, HOME_LIST_LENGTH);
}

export interface SearchView {
  query: SearchQuery;
  rows: PackageSummary[];
  /** Whether a next page exists. */
  hasMore: boolean;
}

export async function searchView(deps: Dependencies, query: SearchQuery): Promise<SearchView> {
  // One row more than the page tells whether there is a next page, in the same statement.
  const rows = await deps.packages.search({ ...query, limit: query.limit + 1 }, ANONYMOUS);
  return { query, rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
}

/**
 * The files of a version as its archive holds them (never the search index's capped copy), or
 * why they cannot be shown. A quarantined version's archive is not read at all.
 */
export type VersionFiles =
  | { kind: 'files'; files: ArchiveTextFile[] }
  | { kind: 'withheld'; reason: string }
  | { kind: 'unavailable' };

export interface PackageView {
  pkg: PackageRecord;
  /** Every version, newest first. */
  versions: VersionRecord[];
  /** The version whose files are shown: the latest, or the one the page is about. */
  shown: VersionRecord | null;
  files: VersionFiles | null;
}

/** rulestack.json last: the rules are what a reader came for. */
function readingOrder(files: ArchiveTextFile[]): ArchiveTextFile[] {
  const manifestLast = (f: ArchiveTextFile) => (f.path === 'rulestack.json' ? 1 : 0);
  return [...files].sort((a, b) => manifestLast(a) - manifestLast(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function filesOf(deps: Dependencies, version: VersionRecord): Promise<VersionFiles> {
  if (version.quarantine) return { kind: 'withheld', reason: version.quarantine.reason };
  const bytes = await deps.blobs.read(version.sha256);
  if (!bytes) {
    logger.error('archive of a published version is missing', { name: version.name, version: version.version, sha256: version.sha256 });
    return { kind: 'unavailable' };
  }
  try {
    return { kind: 'files', files: readingOrder(await readArchiveFiles(bytes)) };
  } catch (err) {
    if (!(err instanceof UnreadableArchiveError)) throw err;
    logger.error('archive of a published version is unreadable', { name: version.name, version: version.version, error: err.message });
    return { kind: 'unavailable' };
  }
}

async function packageWithVersions(deps: Dependencies, name: string) {
  const [pkg, versions] = await Promise.all([deps.packages.getPackage(name, ANONYMOUS), deps.packages.listVersions(name, ANONYMOUS)]);
  if (!pkg) throw notFound(`Package ${name} not found`);
  return { pkg, versions };
}

/** A package's page: its latest version's files (the newest one when every version is withdrawn). */
export async function packageView(deps: Dependencies, name: string): Promise<PackageView> {
  const { pkg, versions } = await packageWithVersions(deps, name);
  const shown = versions.find((v) => v.version === pkg.latest) ?? versions[0] ?? null;
  return { pkg, versions, shown, files: shown ? await filesOf(deps, shown) : null };
}

/** One version's page. */
export async function versionView(deps: Dependencies, name: string, version: string): Promise<PackageView> {
  const { pkg, versions } = await packageWithVersions(deps, name);
  const shown = versions.find((v) => v.version === version);
  if (!shown) throw notFound(`Version ${name}@${version} not found`);
  return { pkg, versions, shown, files: await filesOf(deps, shown) };
}
