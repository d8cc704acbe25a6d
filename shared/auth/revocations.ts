import { ApiError, StoreUnavailableError } from '../errors.js';
import { logger } from '../observability/telemetry.js';
import type { ApiTokenStore } from '../ports/ApiTokenStore.js';
import type { RevocationOutbox } from '../ports/RevocationOutbox.js';
import type { SessionStore } from '../ports/SessionStore.js';
import type { SideEffectQueue } from '../ports/SideEffectQueue.js';

/**
 * How a revocation reaches DynamoDB, whatever happens to the request that made it.
 *
 * A password change, a deactivation, a member's removal or demotion is a dual write: SQL (the
 * truth: the user row, the API token rows) and DynamoDB (what authentication reads: the user's
 * auth state with its revocation time, the token grants). The SQL transaction of the change also
 * writes an outbox row (registry.pending_revocations) saying what DynamoDB must learn; the row is
 * deleted only once all of it landed. So a failure after the commit (DynamoDB down, a timeout,
 * the function frozen or killed) can delay the DynamoDB half but never lose it. The row is
 * applied:
 *  - by the request itself, right after the commit (the usual case: revocation at once);
 *  - on failure, by the side-effect queue: the request queues a sweep (SQS in AWS, redelivered
 *    until it succeeds or lands in the dead-letter queue, which alarms; in-process locally,
 *    retried every tick), and every batch the consumer applies sweeps the outbox as well, so any
 *    later traffic (a login, a download, an API token's use) also completes it;
 *  - at start of the local server (what an in-process queue held died with the process);
 *  - by repeating the request: a repeated deactivation finds the account inactive and completes
 *    what is pending for it.
 * Applying a row twice or from two processes at once is harmless: every step is idempotent.
 */

export interface RevocationStores {
  revocations: RevocationOutbox;
  sessions: SessionStore;
  apiTokens: ApiTokenStore;
}

/** Rows read per round of a sweep, and rounds per sweep (a backlog after an outage drains over several). */
const SWEEP_ROWS = 100;
const SWEEP_ROUNDS = 10;

/**
 * Applies pending revocations to DynamoDB, oldest first (all pending, or one user's), and forgets
 * each once all of it landed. Within a row, order matters: the session that made a password
 * change is moved to the revocation time before that time lands, so it never stops working; the
 * user's auth state goes with SQL's current version and the revocation time, which never moves
 * back (so neither a newer role change nor a second settling of the same row can undo it). Throws at the first failure, leaving that row and the rest pending.
 * Returns the users whose sessions were revoked (their dead session items can be pruned).
 */
export async function settleRevocations(stores: RevocationStores, userId?: number): Promise<number[]> {
  const revokedSessionsOf = new Set<number>();
  for (let round = 0; round < SWEEP_ROUNDS; round++) {
    const rows = await stores.revocations.pending(SWEEP_ROWS, userId);
    for (const r of rows) {
      if (r.revokeBefore !== null) {
        // Never earlier than now, which is after the change committed: a login that read the
        // user row just before the commit (the old password) issued its session before this time.
        const revokeBefore = Math.max(r.revokeBefore, Date.now());
        if (r.keepSession) await stores.sessions.reissue(r.keepSession, revokeBefore);
        await stores.sessions.applyUserState(r.state, revokeBefore);
        revokedSessionsOf.add(r.userId);
      }
      for (const hash of r.tokenHashes) await stores.apiTokens.delete(hash);
      await stores.revocations.complete(r.id);
    }
    if (rows.length < SWEEP_ROWS) break;
  }
  return [...revokedSessionsOf];
}

/**
 * Right after a revocation committed: applies what is pending for `userId` (this change, and
 * anything an earlier attempt left) and queues the clean-up of dead session items. When DynamoDB
 * fails, the change stays committed and its revocation pending: a sweep is queued (and handed to
 * SQS now, since the request then ends in an error) and the caller gets a 503 saying so. A 503
 * rather than a success: what the request promises, the end of the sessions and tokens now, has
 * not happened yet, and a client must not report it as done.
 */
export async function applyRevocationNow(
  deps: RevocationStores & { sideEffects: SideEffectQueue },
  userId: number,
  committed: string,
): Promise<void> {
  let revoked: number[];
  try {
    revoked = await settleRevocations(deps, userId);
  } catch (err) {
    logger.warn('revocation committed but not yet in DynamoDB: queued', { userId, error: String(err) });
    deps.sideEffects.enqueue({ kind: 'settle-revocations' });
    await deps.sideEffects.handOff();
    const retryAfter = err instanceof StoreUnavailableError ? err.retryAfterSeconds : 2;
    throw new ApiError(
      503,
      `${committed}, but a data store is unavailable: ending the affected sessions and API tokens completes automatically once it is back`,
      { 'Retry-After': String(Math.max(1, retryAfter)) },
    );
  }
  for (const u of revoked) deps.sideEffects.enqueue({ kind: 'prune-sessions', userId: u });
}

/** Session items read per prune (the sessions table's per-user listing reads at most this many). */
const PRUNE_MAX_SESSIONS = 1000;

/**
 * Deletes the stored sessions of a user that can no longer authenticate (revocation is already in
 * effect through the auth state; this only removes dead items before their TTL): all of them for
 * a deactivated user, else those issued before the revocation time or expired. Sessions issued
 * since, such as a login right after a password change, stay. Idempotent.
 */
export async function pruneSessions(sessions: SessionStore, userId: number, now = Date.now()): Promise<number> {
  const { sessions: stored, state } = await sessions.listForUser(userId, PRUNE_MAX_SESSIONS);
  if (state && !state.active) return sessions.deleteAllForUser(userId);
  let deleted = 0;
  for (const s of stored) {
    if (s.expiresAt <= now || (state !== null && s.issuedAt < state.revokedBefore)) {
      await sessions.delete(s.tokenHash);
      deleted++;
    }
  }
  return deleted;
}
