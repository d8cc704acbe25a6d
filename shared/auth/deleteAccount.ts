import { forbidden } from '../errors.js';
import type { AuditContext } from '../ports/RegistryRepo.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { Principal } from './Principal.js';
import { applyRevocationNow } from './revocations.js';

/**
 * Deactivates a user (the row stays, so its name and packages cannot be taken over) and ends all
 * its sessions and API tokens at once: the auth state in DynamoDB turns inactive, the token rows
 * are revoked (audited) and their grants deleted. Root can never be deactivated. When the user is
 * inactive already, what an earlier attempt left pending is completed, so repeating a request
 * that failed half-way finishes it.
 */
export async function deactivateUser(deps: Dependencies, userId: number, audit: AuditContext): Promise<boolean> {
  const change = await deps.users.deactivate(userId, { revokeBefore: Date.now(), audit });
  await applyRevocationNow(deps, userId, change ? 'The account was deactivated' : 'The account is deactivated');
  return change !== null;
}

export async function deleteOwnAccount(deps: Dependencies, caller: Principal, sourceIp: string) {
  if (caller.role === 'root') throw forbidden('The root account cannot be deleted');
  await deactivateUser(deps, caller.userId, { actor: caller, sourceIp });
  return { message: 'Account deleted successfully' };
}
