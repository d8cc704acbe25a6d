import { ALLOWED, refused, type Decision } from '../auth/decision.js';
import { forbidden } from '../errors.js';
import type { RegistryRole } from './Registry.js';

// Who may do what with registries, as pure functions of facts. The repository reads the facts
// inside the transaction that makes the change, under the row locks that keep them true until it
// commits, and enforces the decision there (shared/auth/decision.ts); integrity rules (unique
// names, the last admin) stay with the database.

/** Whether a role in a registry lets its holder publish there, and so hold a token with the publish scope. */
export const registryRoleMayPublish = (role: RegistryRole | null): boolean => role === 'publisher' || role === 'admin';

/** What creating a registry is decided on, read with the creator's user row locked. */
export interface RegistryCreationFacts {
  /** How many registries the creator has created. */
  createdByCreator: number;
}

/** A user creates at most `capPerUser` registries (RFH_REGISTRY_CAP). */
export function decideRegistryCreation(capPerUser: number, facts: RegistryCreationFacts): Decision {
  if (facts.createdByCreator >= capPerUser) return refused(forbidden(`You have reached the limit of ${capPerUser} registries per user`));
  return ALLOWED;
}

/**
 * What creating an API token is decided on, read with the registry row and the creator's user row
 * locked shared; null when the creator's account (or the registry) no longer exists.
 */
export interface TokenCreationFacts {
  creatorActive: boolean;
  /** The creator's role in the registry; null for none. */
  creatorRole: RegistryRole | null;
  visibility: 'public' | 'private';
}

/**
 * Who may create a token with these scopes: an active account; the publish scope needs the
 * publisher or admin role in the registry; a private registry's tokens are for its members.
 */
export function decideTokenCreation(scopes: ReadonlyArray<'read' | 'publish'>, facts: TokenCreationFacts | null): Decision {
  if (!facts?.creatorActive) return refused(forbidden('Your account can no longer create tokens'));
  if (scopes.includes('publish') && !registryRoleMayPublish(facts.creatorRole)) {
    return refused(forbidden('A publish token needs the publisher or admin role in this registry'));
  }
  if (!facts.creatorRole && facts.visibility === 'private') return refused(forbidden('Only members of this registry can create tokens for it'));
  return ALLOWED;
}
