import { ApiError, unauthorized } from '../errors.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { ChangePasswordRequest } from '../users/schemas.js';
import type { Principal } from './Principal.js';
import { countedPasswordCheck, throttleAccount } from './loginThrottling.js';

/**
 * Changes the caller's password and ends every other session at once: the user's auth state in
 * DynamoDB gets a revocation time, and the caller's own session is moved past it first, so it
 * never stops working. The current password is checked as one login attempt: counted by the login
 * throttle before hashing, refused while the account is locked, a wrong one counted as a failure.
 */
export async function changePassword(deps: Dependencies, caller: Principal, input: ChangePasswordRequest) {
  const account = throttleAccount(caller.username);
  const user = await deps.users.findById(caller.userId);
  if (!user || !user.active) throw unauthorized('Invalid or expired token');
  if (!(await countedPasswordCheck(deps, account, () => deps.passwords.verify(user.passwordHash, input.current_password)))) {
    throw new ApiError(400, 'Current password is incorrect');
  }
  const change = await deps.users.updatePassword(user.id, await deps.passwords.hash(input.new_password));
  if (!change) throw unauthorized('Invalid or expired token');

  const revokeBefore = Date.now();
  await deps.sessions.reissue(caller.tokenHash, revokeBefore);
  await deps.sessions.applyUserState(change, revokeBefore);
  deps.background.run('delete old sessions', () => deps.sessions.deleteAllForUser(user.id, caller.tokenHash));
  return { message: 'Password changed successfully; other sessions have been signed out' };
}
