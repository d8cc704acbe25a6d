import { forbidden } from '../errors.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { Principal } from './Principal.js';

/**
 * Deactivates a user (the row stays, so its name and packages cannot be taken over) and ends all
 * its sessions at once through the auth state in DynamoDB. Root can never be deactivated.
 */
export async function deactivateUser(deps: Dependencies, userId: number): Promise<boolean> {
  const change = await deps.users.deactivate(userId);
  if (!change) return false;
  await deps.sessions.applyUserState(change, Date.now());
  deps.background.run('delete sessions of deactivated user', () => deps.sessions.deleteAllForUser(userId));
  return true;
}

export async function deleteOwnAccount(deps: Dependencies, caller: Principal) {
  if (caller.role === 'root') throw forbidden('The root account cannot be deleted');
  await deactivateUser(deps, caller.userId);
  return { message: 'Account deleted successfully' };
}
