import type { Principal } from '../auth/Principal.js';
import { roleAtLeast } from '../auth/roles.js';

/**
 * Who is looking, as far as private registries are concerned. An API token sees private
 * packages only in its own registry, only with the read scope, and never with admin powers.
 */
export interface Viewer {
  userId: number | null;
  isAdmin: boolean;
  /** Set for API tokens: the one registry whose private packages it may see ('' for none). */
  onlyRegistry: string | null;
}

export const ANONYMOUS: Viewer = { userId: null, isAdmin: false, onlyRegistry: null };

export function viewerOf(principal: Principal | null): Viewer {
  if (!principal) return ANONYMOUS;
  if (principal.apiToken) {
    return { userId: principal.userId, isAdmin: false, onlyRegistry: principal.apiToken.scopes.includes('read') ? principal.apiToken.registry : '' };
  }
  return { userId: principal.userId, isAdmin: roleAtLeast(principal.role, 'admin'), onlyRegistry: null };
}

/**
 * SQL condition: registry row `r` is visible to the viewer whose id, admin flag and token registry
 * are the parameters $<first>, $<first+1>, $<first+2>.
 */
export function visibleRegistrySql(first: number): string {
  const [uid, admin, only] = [`$${first}::int`, `$${first + 1}::boolean`, `$${first + 2}::text`];
  return `(r.visibility = 'public' OR ${admin} OR ((${only} IS NULL OR r.name = ${only})
           AND EXISTS (SELECT 1 FROM registry.registry_members vm WHERE vm.registry_id = r.id AND vm.user_id = ${uid})))`;
}

export const viewerParams = (v: Viewer) => [v.userId, v.isAdmin, v.onlyRegistry];
