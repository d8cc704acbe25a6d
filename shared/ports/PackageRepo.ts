import type { Principal } from '../auth/Principal.js';
import type { Manifest } from '../packages/manifest.js';
import type { PackageRecord, PackageSummary, VersionRecord } from '../packages/Package.js';

export interface NewVersion {
  manifest: Manifest;
  /** The manifest as received, kept verbatim for clients that want every field. */
  rawManifest: unknown;
  sha256: string;
  sizeBytes: number;
  publisher: Principal;
}

export type PublishOutcome =
  /** A new version. */
  | { created: true; version: VersionRecord }
  /** The same bytes were already published as this version: an idempotent retry. */
  | { created: false; version: VersionRecord };

export interface SearchQuery {
  q: string;
  tag?: string;
  target?: string;
  limit: number;
  offset: number;
}

export interface PackageRepo {
  /**
   * Records a version in one transaction: creates the package (its publisher becoming the owner)
   * or checks that the publisher owns it (403), inserts the immutable version (409 when it exists
   * with other bytes) and moves `latest`.
   */
  publish(v: NewVersion): Promise<PublishOutcome>;
  getPackage(name: string): Promise<PackageRecord | null>;
  getVersion(name: string, version: string): Promise<VersionRecord | null>;
  search(query: SearchQuery): Promise<PackageSummary[]>;
  /** Whether any published version has this archive. */
  hasArchive(sha256: string): Promise<boolean>;
  /** Owners' usernames; null when the package does not exist. */
  listOwners(name: string): Promise<string[] | null>;
  /** Adds an owner (idempotent). 404 unknown package or user, 403 not allowed, 400 role too low. */
  addOwner(name: string, actor: Principal, username: string): Promise<string[]>;
  /** Removes an owner. 409 when it is the last one, even under concurrent removals. */
  removeOwner(name: string, actor: Principal, username: string): Promise<string[]>;
}
