import type { AuditContext } from '../ports/RegistryRepo.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import { decideOwnerAddition, decideOwnerChange } from './rights.js';

/**
 * Adds an owner to a package (idempotent). Who may, and who may own it, is decided on the package
 * row as locked by the change (decideOwnerAddition), so a concurrent change of rights cannot slip
 * in between. Answers the owners.
 */
export function addOwner(deps: Dependencies, name: string, username: string, ctx: AuditContext): Promise<string[]> {
  return deps.packages.addOwner(name, username, ctx, (facts) => decideOwnerAddition(ctx.actor, name, username, facts));
}

/** Removes an owner (never the last one), decided like addOwner (decideOwnerChange). Answers the owners left. */
export function removeOwner(deps: Dependencies, name: string, username: string, ctx: AuditContext): Promise<string[]> {
  return deps.packages.removeOwner(name, username, ctx, (facts) => decideOwnerChange(ctx.actor, name, facts));
}
