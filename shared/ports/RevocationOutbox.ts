import type { AuditContext } from './RegistryRepo.js';
import type { AuthStateChange } from './UserRepo.js';

/**
 * A revocation SQL has committed and DynamoDB must still learn: written in the transaction of
 * the change itself (password change, deactivation, a member's removal or demotion), deleted
 * once every part of it has reached DynamoDB. Every part is idempotent, so applying one twice,
 * or from two processes at once, is harmless.
 */
export interface PendingRevocation {
  id: string;
  userId: number;
  /**
   * Sessions of the user issued before this time (ms since epoch) end, pushed with the user's
   * auth state as SQL holds it now; null when only API tokens end. A floor: the time applied is
   * when the row is applied, if later (after the commit, so no login racing the change survives).
   */
  revokeBefore: number | null;
  /** The user's current auth state in SQL, read with the row. */
  state: AuthStateChange;
  /** SHA-256 of the session that made the change and survives it (a password change). */
  keepSession: string | null;
  /** SHA-256 of the API tokens whose grants must be deleted. */
  tokenHashes: string[];
}

export interface RevocationOutbox {
  /** Pending revocations, oldest first; only `userId`'s when given. */
  pending(limit: number, userId?: number): Promise<PendingRevocation[]>;
  /** Forgets a revocation that has fully reached DynamoDB. */
  complete(id: string): Promise<void>;
}

/** What a password change or a deactivation ends besides the change itself, and who did it. */
export interface UserRevocation {
  /** Sessions issued before this (ms since epoch), or before the revocation is applied, end. */
  revokeBefore: number;
  /** The session that made the change, which survives it. */
  keepSession?: string;
  /** The audit record of each API token revoked is written in the name of this caller. */
  audit: AuditContext;
}
