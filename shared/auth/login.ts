import { ApiError } from '../errors.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { LoginRequest } from '../users/schemas.js';
import { recordFailedAttempt, refuseIfLocked, throttleAccount } from './loginThrottling.js';
import { startSession, type LoginOrigin } from './startSession.js';

export const INVALID_CREDENTIALS = 'Invalid credentials';

/**
 * Login: one SQL read, one password verification, one conditional put of the session (the budget
 * of ARCHITECTURE.md; failures also count in DynamoDB). Unknown user, inactive user and wrong password answer the
 * same 401 after the same amount of hashing work. last_login goes through the side-effect queue,
 * so it can never delay or fail a login.
 */
export async function login(deps: Dependencies, input: LoginRequest, origin: LoginOrigin) {
  const issuedAt = Date.now();
  const account = throttleAccount(input.username);
  const user = await deps.users.findByUsername(input.username);
  await refuseIfLocked(deps, account, user);

  const ok = user && user.active
    ? await deps.passwords.verify(user.passwordHash, input.password)
    : await deps.passwords.verifyNothing(input.password);
  if (!ok || !user) {
    await recordFailedAttempt(deps, account, user);
    throw new ApiError(401, INVALID_CREDENTIALS);
  }

  const result = await startSession(deps, user, issuedAt, origin);
  deps.sideEffects.enqueue({ kind: 'last-login', userId: user.id, at: issuedAt });
  return result;
}
