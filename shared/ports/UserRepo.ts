import type { Role } from '../auth/roles.js';
import type { UserRecord } from '../users/User.js';
import type { UserRevocation } from './RevocationOutbox.js';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  role: Role;
}

/** What changed in the auth-relevant state of a user, to be pushed to the session store. */
export interface AuthStateChange {
  userId: number;
  authVersion: number;
  role: Role;
  active: boolean;
}

export interface UserRepo {
  /** Inserts a user; a duplicate username or email throws a 409 ApiError (settled by unique indexes). */
  create(user: NewUser): Promise<UserRecord>;
  /**
   * The user whose name has the same canonical form (shared/users/username.ts) as `username`;
   * null for no such user and for a string that is no valid username at all.
   */
  findByUsername(username: string): Promise<UserRecord | null>;
  findById(id: number): Promise<UserRecord | null>;
  /**
   * Replaces the password hash of an active user; null when the user is gone. In the same
   * transaction: every live API token of the user is revoked (and audited), and the revocation
   * is queued for DynamoDB (RevocationOutbox).
   */
  updatePassword(id: number, passwordHash: string, revocation: UserRevocation): Promise<AuthStateChange | null>;
  /**
   * Deactivates an active, non-root user; null when there was nothing to deactivate. Revokes and
   * queues like updatePassword, in the same transaction.
   */
  deactivate(id: number, revocation: UserRevocation): Promise<AuthStateChange | null>;
  /** Users by id, including deactivated ones (marked), without password material. */
  list(limit: number, offset: number): Promise<{ users: UserRecord[]; total: number }>;
  /**
   * Sets the role of a non-root user, found like findByUsername. 'not-found' for unknown users
   * (and invalid names), 'root' when the target is root (whose role never changes).
   */
  setRole(username: string, role: Role): Promise<AuthStateChange | 'not-found' | 'root'>;
  /** Creates the single root user if there is none; true when it did. */
  ensureRoot(passwordHash: string): Promise<boolean>;
}
