import type { Database } from '../ports/Database.js';
import type { SideEffect } from '../ports/SideEffectQueue.js';
import { countDownloads, type RecordedDownload } from './downloadCounts.js';

/**
 * Applies a batch: one statement for all logins (latest per user wins, never moving backwards)
 * and one for all downloads (each client once per version per window, shared/sideEffects/
 * downloadCounts.ts, which also makes a redelivered batch count nothing twice). Idempotence is
 * not needed for logins.
 */
export async function applySideEffects(db: Database, effects: readonly SideEffect[], now = Date.now()): Promise<void> {
  const logins = new Map<number, number>();
  const downloads: RecordedDownload[] = [];
  const tokensUsed = new Map<string, number>();
  for (const e of effects) {
    if (e.kind === 'last-login') logins.set(e.userId, Math.max(logins.get(e.userId) ?? 0, e.at));
    else if (e.kind === 'download') downloads.push(e);
    else tokensUsed.set(e.tokenId, Math.max(tokensUsed.get(e.tokenId) ?? 0, e.at));
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
