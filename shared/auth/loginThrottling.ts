import { tooManyRequests } from '../errors.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { UserRecord } from '../users/User.js';

/** The key failed attempts are counted under: one account, whatever the spelling. */
export const throttleAccount = (username: string) => username.toLowerCase();

const tooMany = (retryAfterSeconds: number) =>
  tooManyRequests('Too many failed login attempts for this account, try again later', retryAfterSeconds);

/**
 * Refuses an attempt on a locked account. A known user's lock is on its row, read anyway; an
 * unknown name has no row, so its counter is read (on a path that fails anyway).
 */
export async function refuseIfLocked(deps: Dependencies, account: string, user: UserRecord | null, now = Date.now()): Promise<void> {
  if (user) {
    const until = user.loginLockedUntil?.getTime() ?? 0;
    if (until > now) throw tooMany((until - now) / 1000);
    return;
  }
  const { failures, retryAfterSeconds } = await deps.loginThrottle.current(account);
  if (failures >= deps.config.loginThrottle.maxFailures) throw tooMany(retryAfterSeconds);
}

/**
 * Counts a failure with an atomic ADD; the attempt that reaches the limit locks the account's
 * row until the window ends, before it answers, so the next attempt is refused.
 */
export async function recordFailedAttempt(deps: Dependencies, account: string, user: UserRecord | null): Promise<void> {
  const { failures, windowEndsAt } = await deps.loginThrottle.recordFailure(account);
  if (user && failures >= deps.config.loginThrottle.maxFailures) await deps.users.lockLogin(user.id, new Date(windowEndsAt));
}
