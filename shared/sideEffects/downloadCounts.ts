import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../ports/Database.js';

/**
 * Download counts that repeated downloads cannot inflate: a client (its address as the rate
 * limits see it) counts once per version per window. The request only records the download with
 * a key for its client (no synchronous write); the side-effect batch inserts (window, version,
 * key) into registry.download_clients, whose primary key lets exactly one insert of each through,
 * however many batches or consumers race, and adds to a version's count only what it inserted.
 * The address itself is never stored: the key is a SHA-256 of the window, the archive and the
 * address, so rows of different windows or versions cannot be linked to each other either.
 */

/** A client counts once per version per hour. */
export const DOWNLOAD_WINDOW_MS = 3600_000;

/**
 * How long windows are remembered. A download recorded longer ago than this (a batch retried for
 * a day) is not counted: its window may have been forgotten already, so it could count twice.
 */
export const DOWNLOAD_MEMORY_MS = 24 * 3600_000;

/** The start (ms since the epoch) of the window a download at `at` falls in. */
export const downloadWindow = (at: number) => Math.floor(at / DOWNLOAD_WINDOW_MS) * DOWNLOAD_WINDOW_MS;

/** The key of one client's downloads of one archive in one window: 64 hex characters, not the address. */
export function downloadClientKey(clientAddress: string, sha256: string, at: number): string {
  return createHash('sha256').update(`rfh-download\0${downloadWindow(at)}\0${sha256}\0${clientAddress}`).digest('hex');
}

export interface RecordedDownload {
  sha256: string;
  /** downloadClientKey(...) of the download; absent only on downloads recorded before keys existed. */
  client?: string;
  /** When it happened (ms since the epoch). */
  at?: number;
}

/**
 * Counts a batch of downloads in one statement: each (window, version, client) once, ever, and
 * windows older than DOWNLOAD_MEMORY_MS forgotten on the way. Downloads recorded without a
 * client key count as they come.
 */
export async function countDownloads(db: Database, downloads: readonly RecordedDownload[], now: number): Promise<void> {
  const cutoff = downloadWindow(now - DOWNLOAD_MEMORY_MS);
  const seen = new Map<string, { sha256: string; client: string; window: number }>();
  for (const d of downloads) {
    const at = d.at ?? now;
    const window = downloadWindow(at);
    if (window < cutoff) continue; // its window may be forgotten already
    const client = d.client ?? randomBytes(32).toString('hex');
    seen.set(`${window}|${d.sha256}|${client}`, { sha256: d.sha256, client, window });
  }
  if (seen.size === 0) return;
  const rows = [...seen.values()];
  // Keys go in in key order, so racing batches wait for each other's keys without a cycle (a
  // deadlock anyway fails the batch, which is retried and counts nothing twice). The insert and
  // the clean-up touch different windows (every inserted one is at or after the cutoff), so
  // running them in one statement, on one snapshot, is safe.
  await db.query(
    `WITH recorded AS (
       INSERT INTO registry.download_clients (window_start, version_id, client_hash)
       SELECT d.window_start, v.id, d.client
         FROM (SELECT unnest($1::text[]) AS sha256, unnest($2::text[]) AS client,
                      to_timestamp(unnest($3::float8[]) / 1000.0) AS window_start) d
         JOIN registry.package_versions v ON v.sha256 = d.sha256
        ORDER BY d.window_start, v.id, d.client
       ON CONFLICT DO NOTHING
       RETURNING version_id
     ), forgotten AS (
       DELETE FROM registry.download_clients WHERE window_start < to_timestamp($4::float8 / 1000.0)
     )
     UPDATE registry.package_versions v SET downloads = v.downloads + c.n
       FROM (SELECT version_id, count(*)::int AS n FROM recorded GROUP BY version_id) c
      WHERE v.id = c.version_id`,
    [rows.map((r) => r.sha256), rows.map((r) => r.client), rows.map((r) => r.window), cutoff],
  );
}
