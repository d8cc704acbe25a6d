import type { Principal } from '../auth/Principal.js';
import type { Authorize } from '../auth/decision.js';
import type { ArchiveTextFile } from '../packages/archiveFiles.js';
import type { Manifest } from '../packages/manifest.js';
import type { Finding } from '../safety/rules.js';
import type { CatalogueOverview, PackageRecord, PackageSummary, VersionRecord, Visibility } from '../packages/Package.js';
import type { OwnerAdditionFacts, OwnerChangeFacts, PublishFacts, VersionMarkFacts } from '../packages/rights.js';
import type { VersionMark } from '../packages/VersionStatus.js';
import type { Viewer } from '../registries/Viewer.js';
import type { AuditContext } from './RegistryRepo.js';

export interface NewVersion {
  manifest: Manifest;
  /** The manifest kept with the version: the archive's own rulestack.json, as validated. */
  rawManifest: unknown;
  sha256: string;
  sizeBytes: number;
  /** The archive's files with their text, as validated: indexed for content search in the same transaction. */
  files: readonly ArchiveTextFile[];
  publisher: Principal;
  sourceIp: string;
  /** Whether the publisher may publish it, decided on the facts as the transaction reads them. */
  authorize: Authorize<PublishFacts>;
  /** What the rule scanner found; without it the version is stored as never scanned (a rescan's work). */
  safety?: {
    /** The rule scanner that produced the findings. */
    scannerVersion: number;
    /**
     * The findings judged under the registry's policy as the transaction reads it (the flag rules
     * it refuses): throws when one is refused, else answers those to store with the version. Not
     * called for an identical retry, which stores nothing.
     */
    admit: (refusedFlagRules: readonly string[]) => readonly Finding[];
  };
  /**
   * Runs inside the transaction once a new version's rows are written, as its last step before the
   * commit: the publish promotes its staged archive to the content address here, so the row never
   * commits without its blob and a failure rolls the row back. Not called for an identical retry.
   */
  beforeCommit?: () => Promise<void>;
}

/** What a publish is about to record, for the check that runs before anything is stored. */
export interface PublishIntent {
  name: string;
  version: string;
  sha256: string;
  publisher: Principal;
  authorize: Authorize<PublishFacts>;
}

/** What a publish must obey beyond rights, as the registry's row says it: the flag rules it refuses. */
export interface PublishPolicy {
  refusedFlagRules: string[];
  /** The same bytes are published as this version already: the publish is an identical retry. */
  alreadyPublished: boolean;
}

export type PublishOutcome =
  /** A new version. */
  | { created: true; version: VersionRecord }
  /** The same bytes were already published as this version: an idempotent retry. */
  | { created: false; version: VersionRecord };

/** Where an archive may be downloaded from, as far as the viewer can see. */
export type ArchiveAvailability =
  /** A visible version that is not quarantined has it: serve it, cached as its registry allows. */
  | { visibility: Visibility }
  /** Every visible version that has it is quarantined: not served, and these say why. */
  | { quarantined: Array<{ name: string; version: string; reason: string }> };

/** Put a mark on a version with its reason, or lift it (`reason` null). */
export interface VersionMarkChange {
  mark: VersionMark;
  reason: string | null;
}

export interface SearchQuery {
  q: string;
  tag?: string;
  target?: string;
  limit: number;
  offset: number;
}

export interface PackageRepo {
  /**
   * Records a version in one transaction: reads the publish facts (the registry row locked shared,
   * the package row for update) and enforces `authorize` on them, creates the package (its
   * publisher becoming the owner), inserts the immutable version (409 when it exists with other
   * bytes or another version equal in precedence exists) and moves `latest`.
   */
  publish(v: NewVersion): Promise<PublishOutcome>;
  /**
   * The checks of publish() without writing anything (one read): `authorize` on the publish facts,
   * and name@version not published with other bytes (409). Run before the archive is stored;
   * publish() checks again in its transaction, which settles races. Answers the registry's
   * policy, read in the same statement.
   */
  checkPublish(intent: PublishIntent): Promise<PublishPolicy>;
  // Reads answer null for what the viewer may not see (a private registry's packages), exactly
  // as for what does not exist, so a private name does not leak.
  getPackage(name: string, viewer: Viewer): Promise<PackageRecord | null>;
  getVersion(name: string, version: string, viewer: Viewer): Promise<VersionRecord | null>;
  /** Every version of a package, newest first ([] when it does not exist or is not visible). */
  listVersions(name: string, viewer: Viewer): Promise<VersionRecord[]>;
  /** Totals and the `listLength` most recent and most downloaded packages the viewer may see. */
  catalogueOverview(viewer: Viewer, listLength: number): Promise<CatalogueOverview>;
  search(query: SearchQuery, viewer: Viewer): Promise<PackageSummary[]>;
  /**
   * Whether a published version the viewer may see has this archive: its registry's visibility, or
   * the quarantines that stop it from being served; null when none has it.
   */
  findArchive(sha256: string, viewer: Viewer): Promise<ArchiveAvailability | null>;
  /** Owners' usernames; null when the package does not exist or is not visible. */
  listOwners(name: string, viewer: Viewer): Promise<string[] | null>;
  /**
   * Adds an owner (idempotent), enforcing `authorize` on the facts read with the package row
   * locked for update.
   */
  addOwner(name: string, username: string, ctx: AuditContext, authorize: Authorize<OwnerAdditionFacts>): Promise<string[]>;
  /**
   * Removes an owner, enforcing `authorize` on the facts read with the package row locked for
   * update. 404 when the user is not an owner; 409 when it is the last one, even under concurrent
   * removals.
   */
  removeOwner(name: string, username: string, ctx: AuditContext, authorize: Authorize<OwnerChangeFacts>): Promise<string[]>;
  /**
   * Yanks or quarantines a version, or lifts the mark, enforcing `authorize` on the facts read with
   * the package row locked for update (as publish locks it, so the two serialise). Idempotent: a
   * mark already there keeps its first record, and only a change is audited. Moves `latest` to the
   * highest version neither yanked nor quarantined (null when there is none). Answers the version.
   */
  markVersion(name: string, version: string, change: VersionMarkChange, ctx: AuditContext, authorize: Authorize<VersionMarkFacts>): Promise<VersionRecord>;
}
