import { badRequest, tooManyRequests } from '../errors.js';
import { logger } from '../observability/telemetry.js';
import type { LoginAttemptSlot } from '../ports/SessionStore.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import { canonicalUsername } from '../users/username.js';

/**
 * The key attempts are counted under: the canonical form of the username, the same one every
 * lookup uses, so no spelling of a name gets a counter of its own. Input validation refuses
 * invalid names before this; one that gets here anyway is a 400, never counted or looked up.
 */
export function throttleAccount(username: string): string {
  const account = canonicalUsername(username);
  if (account === null) throw badRequest('Invalid username');
  return account;
}

/**
 * One password check counted by the login throttle. `begin` takes the attempt's place before any
 * hashing (429 with Retry-After when the account has no place left); the caller then completes it
 * exactly once: `failed` (the place stays, as a failure of this window), `succeeded`, or
 * `abandoned` (no password was checked: a store failed), which free it.
 */
export class CountedAttempt {
  private done = false;

  private constructor(
    private readonly deps: Dependencies,
    private readonly slot: LoginAttemptSlot,
  ) {}

  static async begin(deps: Dependencies, account: string): Promise<CountedAttempt> {
    const { maxFailures, concurrencyAllowance } = deps.config.loginThrottle;
    const admission = await deps.loginThrottle.admit(account, { maxFailures, concurrencyAllowance });
    if (!admission.admitted) {
      throw tooManyRequests(
        admission.reason === 'failures'
          ? 'Too many failed login attempts for this account, try again later'
          : 'Too many login attempts for this account at once, try again in a moment',
        admission.retryAfterSeconds,
      );
    }
    return new CountedAttempt(deps, admission.slot);
  }

  /** Counts the failure; a store error here fails the request (the place stays taken meanwhile). */
  async failed(): Promise<void> {
    if (this.take()) await this.deps.loginThrottle.complete(this.slot, 'failure');
  }

  /**
   * Frees the place. Never fails the request: a place left taken only narrows the account's
   * concurrency allowance until its window ends.
   */
  async succeeded(): Promise<void> {
    if (!this.take()) return;
    try {
      await this.deps.loginThrottle.complete(this.slot, 'released');
    } catch (err) {
      logger.warn('could not release a login attempt', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  abandoned(): Promise<void> {
    return this.succeeded();
  }

  private take(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }
}

/**
 * Checks a password as one counted attempt: refused (429) while the account is locked or has no
 * place left, a wrong password counted as a failure. `check` does the hashing work; it must take
 * the same time whether or not the account exists.
 */
export async function countedPasswordCheck(deps: Dependencies, account: string, check: () => Promise<boolean>): Promise<boolean> {
  const attempt = await CountedAttempt.begin(deps, account);
  let ok: boolean;
  try {
    ok = await check();
  } catch (err) {
    await attempt.abandoned();
    throw err;
  }
  if (ok) await attempt.succeeded();
  else await attempt.failed();
  return ok;
}
