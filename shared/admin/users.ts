import type { Principal } from '../auth/Principal.js';
import { deactivateUser } from '../auth/deleteAccount.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import type { Role } from '../auth/roles.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import { publicUser } from '../users/User.js';

export async function listUsers(deps: Dependencies, limit: number, offset: number) {
  const { users, total } = await deps.users.list(limit, offset);
  return { users: users.map((u) => ({ ...publicUser(u), active: u.active })), total, limit, offset };
}

/**
 * Deactivates another user and ends its sessions and API tokens at once. Never yourself, never
 * root. For a user deactivated already it is a 404, after completing whatever revocation an
 * earlier attempt left pending (so repeating a request that failed half-way finishes it).
 */
export async function deleteUser(deps: Dependencies, caller: Principal, rawId: string, sourceIp: string) {
  const id = Number(rawId);
  if (!/^\d{1,9}$/.test(rawId) || !Number.isSafeInteger(id) || id <= 0) throw badRequest('User id must be a positive whole number');
  if (id === caller.userId) throw badRequest('You cannot delete your own account here; use DELETE /v1/auth/delete-account');
  const user = await deps.users.findById(id);
  if (!user) throw notFound(`User ${id} not found`);
  if (user.role === 'root') throw forbidden('The root account cannot be deleted');
  if (!(await deactivateUser(deps, id, { actor: caller, sourceIp }))) throw notFound(`User ${id} not found`);
  return { message: `User ${user.username} deleted` };
}

/**
 * Changes a user's role. SQL bumps the user's auth version; the session store takes the new
 * role only if it is newer, so it applies to every live session at once and racing changes
 * settle in commit order.
 */
export async function changeRole(deps: Dependencies, username: string, role: Role) {
  const change = await deps.users.setRole(username, role);
  if (change === 'not-found') throw notFound(`User ${username} not found`);
  if (change === 'root') throw forbidden("The root account's role cannot be changed");
  await deps.sessions.applyUserState(change);
  return { message: `Role of ${username} is now ${role}`, username, role };
}
