import type { Database } from '../ports/Database.js';
import type { SideEffect } from '../ports/SideEffectQueue.js';

/**
 * Applies a batch: one statement for all logins (latest per user wins, never moving backwards)
 * and one for all downloads (summed per archive). Idempotence is not needed for logins; a
 * redelivered download batch may count twice, which SQS's at-least-once delivery makes possible
 * and a download counter tolerates.
 */
export async function applySideEffects(db: Database, effects: readonly SideEffect[]): Promise<void> {
  const logins = new Map<number, number>();
  const downloads = new Map<string, number>();
  const tokensUsed = new Map<string, number>();
  for (const e of effects) {
    if (e.kind === 'last-login') logins.set(e.userId, Math.max(logins.get(e.userId) ?? 0, e.at));
    else if (e.kind === 'download') downloads.set(e.sha256, (downloads.get(e.sha256) ?? 0) + 1);
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
  if (downloads.size > 0) {
    await db.query(
      `UPDATE registry.package_versions v SET downloads = v.downloads + d.n
         FROM (SELECT unnest($1::text[]) AS sha256, unnest($2::int[]) AS n) d
        WHERE v.sha256 = d.sha256`,
      [[...downloads.keys()], [...downloads.values()]],
    );
  }
}
