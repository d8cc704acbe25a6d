import type { Principal } from '../auth/Principal.js';
import { ApiError } from '../errors.js';
import type { AuditContext } from '../ports/RegistryRepo.js';
import { roleAtLeast } from '../auth/roles.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import { DEFAULT_REGISTRY, registryOfPackage } from './Registry.js';
import { viewerOf } from './Viewer.js';
import { decideRegistryCreation } from './rights.js';

/**
 * A publisher's own scope, without ceremony: the first publish of `@<your username>/...` creates
 * registry `<your username>` (public, you its admin, counted against the per-user cap, audited),
 * as npm gives every user their scope. Only that one scope, only for a signed-in publisher or
 * above (never through an API token, which belongs to an existing registry), so nobody can
 * claim someone else's name by publishing into it. Usernames are compared in their canonical
 * (lower-case) form: registry names are lower case. Two first publishes at once create one
 * registry: the unique name settles it, and the loser simply publishes into the winner's.
 */
export async function ensureOwnScope(deps: Dependencies, caller: Principal, packageName: string, ctx: AuditContext): Promise<void> {
  const scope = registryOfPackage(packageName);
  if (scope === DEFAULT_REGISTRY || caller.apiToken || !roleAtLeast(caller.role, 'publisher')) return;
  if (scope !== caller.username.toLowerCase()) return;
  if (await deps.registries.access(scope, viewerOf(caller))) return;
  try {
    await deps.registries.create({ name: scope, description: `Packages published by ${caller.username}`, visibility: 'public' }, ctx, (facts) =>
      decideRegistryCreation(deps.config.registryCapPerUser, facts),
    );
  } catch (err) {
    // Taken meanwhile (a concurrent first publish) or already taken by a registry this caller
    // cannot see: the publish's own rights check decides what happens next.
    if (err instanceof ApiError && err.status === 409) return;
    throw err;
  }
}
