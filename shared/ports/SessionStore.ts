import type { Role } from '../auth/roles.js';
import type { AuthStateChange } from './UserRepo.js';

/** One signed-in session, stored under the SHA-256 of its token (never the token itself). */
export interface Session {
  tokenHash: string;
  /**
   * The session's public number (`session_id` of the login response): random in [1, 2^53-1], so
   * it needs no counter, and small enough for a JSON number that every client reads exactly.
   */
  sessionId: number;
  userId: number;
  username: string;
  role: Role;
  /** When the login that created it read the user row (ms since epoch); moved by `reissue`. */
  issuedAt: number;
  /** When the session was created (ms since epoch); never changes. */
  createdAt: number;
  /** ms since epoch. Checked in code too: the local emulator has no TTL. */
  expiresAt: number;
  /** Where the login came from, as recorded then; never updated afterwards (no write per request). */
  clientAddress: string;
  userAgent: string;
}

/**
 * The latest auth-relevant state of a user, as pushed by password changes, role changes and
 * deactivation. A session issued before `revokedBefore` is dead; `role` overrides the role
 * the session was created with.
 */
export interface UserAuthState {
  userId: number;
  authVersion: number;
  role: Role;
  active: boolean;
  revokedBefore: number;
}

export interface SessionLookup {
  session: Session | null;
  state: UserAuthState | null;
}

export class SessionCollisionError extends Error {
  constructor() {
    super('A session with this token hash already exists');
  }
}

export interface SessionStore {
  /** Conditional put on the token hash: a duplicate throws SessionCollisionError, never overwrites. */
  create(session: Session): Promise<void>;
  /** The session and its user's auth state, in one consistent read. */
  lookup(tokenHash: string, userId: number): Promise<SessionLookup>;
  delete(tokenHash: string): Promise<void>;
  /**
   * Every stored session of a user, live or not (expired and revoked ones linger until TTL
   * clean-up), with the user's auth state: a Query of the user index plus consistent BatchGets.
   * At most `limit` sessions, the newest first.
   */
  listForUser(userId: number, limit: number): Promise<{ sessions: Session[]; state: UserAuthState | null }>;
  /** The user's auth state alone (API-token authentication), one consistent read. */
  userState(userId: number): Promise<UserAuthState | null>;
  /**
   * Applies a user's new auth state if it is newer than the stored one (conditional write on
   * authVersion). With `revokeBefore`, every session issued earlier stops working at once; that
   * time is applied even when a newer state is already there, and never moves backwards.
   */
  applyUserState(change: AuthStateChange, revokeBefore?: number): Promise<void>;
  /** Moves a session's issuedAt forward (never back) so it survives a revocation its own user made. */
  reissue(tokenHash: string, issuedAt: number): Promise<void>;
  /** Physically removes a user's sessions (clean-up; revocation is already in effect). */
  deleteAllForUser(userId: number, exceptTokenHash?: string): Promise<number>;
  ping(): Promise<void>;
}

/** Per-account limits of the login throttle (AppConfig.loginThrottle). */
export interface LoginLimits {
  maxFailures: number;
  concurrencyAllowance: number;
}

/** An attempt the throttle let through: it holds a place until it is completed. */
export interface LoginAttemptSlot {
  account: string;
  /** Start of the window the place was taken in (ms); completion goes to the same window. */
  windowStart: number;
  /** The attempt's own random id: taking and freeing its place are idempotent. */
  id: string;
}

export type LoginAdmission =
  | { admitted: true; slot: LoginAttemptSlot }
  | { admitted: false; retryAfterSeconds: number; reason: 'failures' | 'concurrency' };

/**
 * Counts login attempts per account in fixed windows, before the password is checked. Every
 * attempt takes a place with one conditional atomic update; a place is held while the attempt is
 * in flight and kept for the rest of the window if the attempt failed. Places of attempts that
 * never completed (a crashed function) go with their window. Repeating an update (a retry after
 * a lost answer) changes nothing.
 */
export interface LoginThrottle {
  /**
   * Takes a place, unless the account's window already has `maxFailures` failures, or
   * `maxFailures + concurrencyAllowance` attempts failed or in flight. One conditional update.
   */
  admit(account: string, limits: LoginLimits): Promise<LoginAdmission>;
  /**
   * Completes an admitted attempt with one update: a failure keeps its place as a counted failure,
   * a success (or an attempt abandoned before its password was checked) frees it.
   */
  complete(slot: LoginAttemptSlot, outcome: 'failure' | 'released'): Promise<void>;
}
