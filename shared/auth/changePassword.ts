import { ApiError, unauthorized } from '../errors.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { ChangePasswordRequest } from '../users/schemas.js';
import type { Principal } from './Principal.js';
import { applyRevocationNow } from './revocations.js';
import { countedPasswordCheck, throttleAccount } from './loginThrottling.js';

/**
 * Changes the caller's password and ends every other session and every API token of the user at
 * once: the user's auth state in DynamoDB gets a revocation time (the caller's own session is
 * moved past it first, so it never stops working) and the tokens' grants are deleted. The current
 * password is checked as one login attempt: counted by the login throttle before hashing, refused
 * while the account is locked, a wrong one counted as a failure.
 */
export async function changePassword(deps: Dependencies, caller: Principal, input: ChangePasswordRequest, sourceIp: string) {
  const account = throttleAccount(caller.username);
  const user = await deps.users.findById(caller.userId);
  if (!user || !user.active) throw unauthorized('Invalid or expired token');
  if (!(await countedPasswordCheck(deps, account, () => deps.passwords.verify(user.passwordHash, input.current_password)))) {
    throw new ApiError(400, 'Current password is incorrect');
  }
  const passwordHash = await deps.passwords.hash(input.new_password);
  // One transaction: the new password, every API token of the user revoked, and the outbox row
  // that carries the revocation to DynamoDB (shared/auth/revocations.ts).
  const change = await deps.users.updatePassword(user.id, passwordHash, {
    revokeBefore: Date.now(),
    keepSession: caller.tokenHash,
    audit: { actor: caller, sourceIp },
  });
  if (!change) throw unauthorized('Invalid or expired token');
  await applyRevocationNow(deps, user.id, 'Your password was changed');
  return { message: 'Password changed successfully; other sessions have been signed out' };
}
