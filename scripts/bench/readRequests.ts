import type { LoadRequest } from './load.js';
import { SEARCH_QUERIES, seededName } from './seedPackages.js';

/** Packages the HTTP groups seed (3 versions each). */
export const PACKAGES = 10_000;

/** The public reads, spread over the seeded packages: a package, a version, a search. */
export const packageRead = (i: number): LoadRequest => ({ method: 'GET', path: `/v1/packages/${seededName((i * 7919) % PACKAGES)}` });
export const versionRead = (i: number): LoadRequest => ({ method: 'GET', path: `/v1/packages/${seededName((i * 104729) % PACKAGES)}/versions/1.1.0` });
export const searchOf =
  (queries: readonly string[] = SEARCH_QUERIES) =>
  (i: number): LoadRequest => ({ method: 'GET', path: `/v1/packages?q=${encodeURIComponent(queries[i % queries.length]!)}` });
