import { ApiError, badRequest, notFound } from '../errors.js';
import { SHA256_HEX } from '../ports/BlobStore.js';
import type { SearchQuery } from '../ports/PackageRepo.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import { downloadClientKey } from '../sideEffects/downloadCounts.js';
import type { Viewer } from '../registries/Viewer.js';
import { versionBody, type PackageRecord, type Visibility } from './Package.js';
import { isoTimestamp } from '../isoTimestamp.js';

/**
 * A published version and its archive: the bytes never change, but whether they may be shown
 * does (a registry turned private) and so does what a version shows (downloads). Shared caches
 * (CloudFront) keep them at most 5 minutes and may serve them 1 minute longer while refreshing,
 * so a registry turned private is gone from the CDN within 6 minutes, with no invalidation.
 */
export const PUBLIC_RELEASE = 'public, max-age=60, s-maxage=300, stale-while-revalidate=60';
/** Package pages and search change with every publish: cache briefly. */
export const SHORT_LIVED = 'public, max-age=60';
/** Anything of a private registry: never in any cache. */
export const PRIVATE = 'private, no-store';

export const cacheFor = (visibility: Visibility, publicPolicy: string) => (visibility === 'public' ? publicPolicy : PRIVATE);


function packageBody(p: PackageRecord) {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    latest: p.latest,
    versions: p.versions,
    yanked_versions: p.yankedVersions,
    quarantined_versions: p.quarantinedVersions,
    tags: p.tags,
    targets: p.targets,
    owners: p.owners,
    downloads: p.downloads,
    flags: p.flags,
    registry: p.registry,
    visibility: p.visibility,
    created_at: isoTimestamp(p.createdAt),
    updated_at: isoTimestamp(p.updatedAt),
  };
}

export async function getPackage(deps: Dependencies, name: string, viewer: Viewer) {
  const p = await deps.packages.getPackage(name, viewer);
  if (!p) throw notFound(`Package ${name} not found`);
  return { body: packageBody(p), cacheControl: cacheFor(p.visibility, SHORT_LIVED) };
}

export async function getVersion(deps: Dependencies, name: string, version: string, viewer: Viewer) {
  const v = await deps.packages.getVersion(name, version, viewer);
  if (!v) throw notFound(`Version ${name}@${version} not found`);
  return { body: versionBody(v), cacheControl: cacheFor(v.visibility, PUBLIC_RELEASE) };
}

export async function searchPackages(deps: Dependencies, query: SearchQuery, viewer: Viewer) {
  const rows = await deps.packages.search(query, viewer);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    version: r.version,
    latest: r.version,
    description: r.description,
    targets: r.targets,
    tags: r.tags,
    versions: r.versions,
    downloads: r.downloads,
    flags: r.flags,
    created_at: isoTimestamp(r.createdAt),
    updated_at: isoTimestamp(r.updatedAt),
    matches: r.matches ?? [],
  }));
}

/**
 * An archive by hash: only archives of published versions are served, and not while every version
 * the viewer can see that has it is quarantined (410). The download is counted off the request
 * path, once per client address (as the rate limits see it) per version per hour: repeating it
 * from one address does not inflate the count.
 */
export async function downloadArchive(deps: Dependencies, rawHash: string, viewer: Viewer, clientAddress: string) {
  const sha256 = rawHash.toLowerCase();
  if (!SHA256_HEX.test(sha256)) throw badRequest('A blob is addressed by the 64 hex digits of its SHA-256');
  const archive = await deps.packages.findArchive(sha256, viewer);
  if (!archive) throw notFound(`No archive with SHA-256 ${sha256}`);
  if ('quarantined' in archive) {
    // 410 Gone rather than 451: 451 says a legal demand blocks the resource (RFC 7725), while a
    // quarantine is the registry withdrawing bytes it found harmful (a leaked credential, say).
    // 410 tells a client the archive was withdrawn on purpose, not lost; it is sent `no-store`
    // (as every error is), since 410 is otherwise cacheable by default and a release serves it again.
    const why = archive.quarantined.map((q) => `${q.name}@${q.version} (${q.reason})`).join('; ');
    throw new ApiError(410, `The archive with SHA-256 ${sha256} is quarantined and no longer served: ${why}`);
  }
  const blob = await deps.blobs.download(sha256);
  if (!blob) throw notFound(`No archive with SHA-256 ${sha256}`);
  const at = Date.now();
  deps.sideEffects.enqueue({ kind: 'download', sha256, client: downloadClientKey(clientAddress, sha256, at), at });
  return { sha256, blob, cacheControl: cacheFor(archive.visibility, PUBLIC_RELEASE) };
}
