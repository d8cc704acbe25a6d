import { ApiError, tooManyRequests } from '../errors.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { LoginRequest } from '../users/schemas.js';
import { startSession } from './startSession.js';

export const INVALID_CREDENTIALS = 'Invalid credentials';

/** The key failed attempts are counted under: one account, whatever the spelling. */
export const throttleAccount = (username: string) => username.toLowerCase();

/**
 * Login: one SQL read (alongside the throttle counter read), one password verification, one
 * conditional put of the session. Unknown user, inactive user and wrong password answer the
 * same 401 after the same amount of hashing work. last_login goes through the side-effect queue,
 * so it can never delay or fail a login.
 */
export async function login(deps: Dependencies, input: LoginRequest) {
  const issuedAt = Date.now();
  const account = throttleAccount(input.username);
  const [user, throttle] = await Promise.all([
    deps.users.findByUsername(input.username),
    deps.loginThrottle.current(account),
  ]);
  if (throttle.failures >= deps.config.loginThrottle.maxFailures) {
    throw tooManyRequests('Too many failed login attempts for this account, try again later', throttle.retryAfterSeconds);
  }

  const ok = user && user.active
    ? await deps.passwords.verify(user.passwordHash, input.password)
    : await deps.passwords.verifyNothing(input.password);
  if (!ok || !user) {
    await deps.loginThrottle.recordFailure(account);
    throw new ApiError(401, INVALID_CREDENTIALS);
  }

  const result = await startSession(deps, user, issuedAt);
  deps.sideEffects.enqueue({ kind: 'last-login', userId: user.id, at: issuedAt });
  return result;
}
