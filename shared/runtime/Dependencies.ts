import type { PasswordHasher } from '../auth/PasswordHasher.js';
import type { RotatingSecret } from '../auth/rotatingSecret.js';
import type { TokenService } from '../auth/TokenService.js';
import type { AppConfig } from '../config.js';
import type { Database } from '../ports/Database.js';
import type { LoginThrottle, SessionStore } from '../ports/SessionStore.js';
import type { ApiTokenStore } from '../ports/ApiTokenStore.js';
import type { BlobReader, BlobStore } from '../ports/BlobStore.js';
import type { RegistryRepo } from '../ports/RegistryRepo.js';
import type { RevocationOutbox } from '../ports/RevocationOutbox.js';
import type { PackageRepo } from '../ports/PackageRepo.js';
import type { SideEffectQueue } from '../ports/SideEffectQueue.js';
import type { UserRepo } from '../ports/UserRepo.js';
import type { StoreGuards } from '../resilience/storeGuards.js';
import { createAwsDependencies } from './awsDependencies.js';
import { PORTS, type Port } from './ports.js';

/** Everything a use case may touch. Built once per process (per Lambda container). */
export interface Dependencies {
  config: AppConfig;
  /** Per-store bulkhead, breaker and retry state, also reported by /v1/health. */
  guards: StoreGuards;
  db: Database;
  users: UserRepo;
  packages: PackageRepo;
  registries: RegistryRepo;
  /** Revocations committed in SQL that DynamoDB must still take (shared/auth/revocations.ts). */
  revocations: RevocationOutbox;
  apiTokens: ApiTokenStore;
  /** Archives, to read (downloads, the health probe). */
  blobs: BlobReader;
  /** The archive store with its writes (publishing). */
  blobWrites: BlobStore;
  sessions: SessionStore;
  loginThrottle: LoginThrottle;
  tokens: TokenService;
  passwords: PasswordHasher;
  /**
   * The secret CloudFront sends with every request (AWS, behind the CDN); absent locally. When
   * set, requests without it are refused and only theirs are trusted with a viewer address.
   * During a rotation's grace period its previous value is accepted too.
   */
  originSecret?: RotatingSecret;
  /**
   * Work after the response, in batches off the request path (last_login, download counts,
   * retried revocations, removal of dead sessions): SQS in AWS, where nothing may run in the
   * background of a frozen function; in-process locally.
   */
  sideEffects: SideEffectQueue;
}

/** Builds the dependencies, with at least the optional ports named. */
type Factory = (uses: readonly Port[]) => Promise<Dependencies>;

let factory: Factory | undefined;
let current: Promise<Dependencies> | undefined;

/**
 * Chooses how dependencies are built. Without a call, Lambda's AWS factory is used; the local
 * server registers its embedded-store factory (so no Lambda bundle carries PGlite or dynalite).
 */
export function provideDependencies(f: Factory): void {
  factory = f;
  current = undefined;
}

/**
 * The process's dependencies, built on first use. A Lambda function serves one route, so the
 * first call's `uses` (its route's ports) decides which optional adapters exist; the side-effect
 * consumer asks for all of them.
 */
export function dependencies(uses: readonly Port[] = PORTS): Promise<Dependencies> {
  if (!current) {
    current = (factory ?? createAwsDependencies)(uses).catch((err: unknown) => {
      current = undefined; // let the next request try again
      throw err;
    });
  }
  return current;
}
