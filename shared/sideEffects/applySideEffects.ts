import { pruneSessions, settleRevocations, type RevocationStores } from '../auth/revocations.js';
import { logger } from '../observability/telemetry.js';
import type { Database } from '../ports/Database.js';
import type { SideEffect } from '../ports/SideEffectQueue.js';
import { countDownloads, type RecordedDownload } from './downloadCounts.js';

/**
 * Applies the SQL bookkeeping of a batch: one statement for all logins (latest per user wins,
 * never moving backwards) and one for all downloads (each client once per version per window,
 * shared/sideEffects/downloadCounts.ts, which also makes a redelivered batch count nothing twice).
 * Idempotence is not needed for logins.
 */
export async function applySideEffects(db: Database, effects: readonly SideEffect[], now = Date.now()): Promise<void> {
  const logins = new Map<number, number>();
  const downloads: RecordedDownload[] = [];
  const tokensUsed = new Map<string, number>();
  for (const e of effects) {
    if (e.kind === 'last-login') logins.set(e.userId, Math.max(logins.get(e.userId) ?? 0, e.at));
    else if (e.kind === 'download') downloads.push(e);
    else if (e.kind === 'token-used') tokensUsed.set(e.tokenId, Math.max(tokensUsed.get(e.tokenId) ?? 0, e.at));
    // settle-revocations and prune-sessions are DynamoDB work: processSideEffects.
  }
  if (tokensUsed.size > 0) {
    await db.query(
      `UPDATE registry.api_tokens t SET last_used_at = GREATEST(t.last_used_at, u.at)
         FROM (SELECT unnest($1::uuid[]) AS id, to_timestamp(unnest($2::float8[]) / 1000.0) AS at) u
        WHERE t.id = u.id`,
      [[...tokensUsed.keys()], [...tokensUsed.values()]],
    );
  }
  if (logins.size > 0) {
    await db.query(
      `UPDATE registry.users u SET last_login = GREATEST(u.last_login, l.at)
         FROM (SELECT unnest($1::int[]) AS id, to_timestamp(unnest($2::float8[]) / 1000.0) AS at) l
        WHERE u.id = l.id`,
      [[...logins.keys()], [...logins.values()]],
    );
  }
  if (downloads.length > 0) await countDownloads(db, downloads, now);
}

/**
 * Applies a batch: the SQL bookkeeping first (if PostgreSQL fails this throws and the whole batch
 * is retried), then the DynamoDB work, each part idempotent: the revocation outbox is swept on
 * every batch, whatever it holds (so any traffic completes a revocation a failure left pending),
 * and the sessions of users named by prune-sessions, or whose revocation this sweep applied, are
 * pruned. Returns the DynamoDB work that failed, to be retried; it never repeats the SQL part.
 */
export async function processSideEffects(stores: RevocationStores & { db: Database }, effects: readonly SideEffect[]): Promise<SideEffect[]> {
  await applySideEffects(stores.db, effects);
  const prune = new Set<number>();
  for (const e of effects) if (e.kind === 'prune-sessions') prune.add(e.userId);
  const retry: SideEffect[] = [];
  try {
    for (const userId of await settleRevocations(stores)) prune.add(userId);
  } catch (err) {
    logger.warn('pending revocations not applied yet', { error: String(err) });
    retry.push({ kind: 'settle-revocations' });
  }
  for (const userId of prune) {
    try {
      await pruneSessions(stores.sessions, userId);
    } catch (err) {
      logger.warn('dead sessions not pruned yet', { userId, error: String(err) });
      retry.push({ kind: 'prune-sessions', userId });
    }
  }
  return retry;
}
