import { ApiError } from '../errors.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { LoginRequest } from '../users/schemas.js';
import type { UserRecord } from '../users/User.js';
import { CountedAttempt, throttleAccount } from './loginThrottling.js';
import { startSession, type LoginOrigin } from './startSession.js';

export const INVALID_CREDENTIALS = 'Invalid credentials';

/**
 * Login, in the round trips of the budget: the attempt is counted with one conditional DynamoDB
 * update before anything else (429 once the account has `maxFailures` failures, or `maxFailures +
 * concurrencyAllowance` attempts failed or in flight, in this window: a refused attempt costs no
 * SQL and no hashing); then the one SQL read of the user; one password verification; then the
 * session's conditional put, at the same time as the update that frees the attempt's place (a
 * failure instead keeps its place, one update). Known and unknown usernames (and inactive users)
 * take exactly the same path and the same hashing work, so neither the answer, its time nor the
 * 429 tells them apart.
 * last_login goes through the side-effect queue, so it can never delay or fail a login.
 */
export async function login(deps: Dependencies, input: LoginRequest, origin: LoginOrigin) {
  const issuedAt = Date.now();
  const account = throttleAccount(input.username);
  const attempt = await CountedAttempt.begin(deps, account);
  let user: UserRecord | null;
  try {
    user = await deps.users.findByUsername(account);
  } catch (err) {
    await attempt.abandoned();
    throw err;
  }

  let ok: boolean;
  try {
    ok = user && user.active
      ? await deps.passwords.verify(user.passwordHash, input.password)
      : await deps.passwords.verifyNothing(input.password);
  } catch (err) {
    await attempt.abandoned();
    throw err;
  }
  if (!ok || !user) {
    await attempt.failed();
    throw new ApiError(401, INVALID_CREDENTIALS);
  }

  const [session] = await Promise.allSettled([startSession(deps, user, issuedAt, origin), attempt.succeeded()]);
  if (session.status === 'rejected') throw session.reason;
  deps.sideEffects.enqueue({ kind: 'last-login', userId: user.id, at: issuedAt });
  return session.value;
}
