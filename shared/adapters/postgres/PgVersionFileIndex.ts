import type { ArchiveTextFile } from '../../packages/archiveFiles.js';
import { indexedText } from '../../packages/indexedText.js';
import type { Database, SqlClient } from '../../ports/Database.js';
import type { VersionFileIndex } from '../../ports/VersionFileIndex.js';

/**
 * Indexed text per statement. A version's files normally go in one statement; a package of more
 * text is split so no request grows past what the Data API takes (4 MiB per call, the text
 * escaped as an array literal inside JSON).
 */
const STATEMENT_MAX_TEXT_BYTES = 512 * 1024;

type IndexedRow = { path: string; size: number; content: string };

function batchesOf(files: readonly ArchiveTextFile[]): IndexedRow[][] {
  const batches: IndexedRow[][] = [];
  let batch: IndexedRow[] = [];
  let bytes = 0;
  for (const file of files) {
    const content = indexedText(file.text);
    const length = Buffer.byteLength(content);
    if (batch.length > 0 && bytes + length > STATEMENT_MAX_TEXT_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ path: file.path, size: file.size, content });
    bytes += length;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Rows of these files, all in one statement per batch; `onConflict` says what an existing row becomes. */
async function writeRows(tx: SqlClient, versionId: number, files: readonly ArchiveTextFile[], onConflict: string): Promise<number> {
  let written = 0;
  for (const batch of batchesOf(files)) {
    const result = await tx.query(
      `INSERT INTO registry.version_files AS stored (version_id, path, size_bytes, content)
       SELECT $1::int, f.path, f.size_bytes, f.content
         FROM unnest($2::text[], $3::int[], $4::text[]) AS f(path, size_bytes, content)
       ${onConflict}`,
      [versionId, batch.map((f) => f.path), batch.map((f) => f.size), batch.map((f) => f.content)],
    );
    written += result.rowCount;
  }
  return written;
}

/** The indexed files of a version being published (the caller's transaction; the version is new, so there are none yet). */
export function insertVersionFiles(tx: SqlClient, versionId: number, files: readonly ArchiveTextFile[]): Promise<number> {
  return writeRows(tx, versionId, files, '');
}

export class PgVersionFileIndex implements VersionFileIndex {
  constructor(private readonly db: Database) {}

  async indexedAmong(versionIds: readonly number[]): Promise<Set<number>> {
    if (versionIds.length === 0) return new Set();
    const { rows } = await this.db.query<{ version_id: number }>(
      `SELECT DISTINCT f.version_id FROM registry.version_files f WHERE f.version_id = ANY($1::int[])`,
      [versionIds],
    );
    return new Set(rows.map((r) => r.version_id));
  }

  replaceFiles(versionId: number, files: readonly ArchiveTextFile[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      // Rows that already hold the same text are left alone, so a second run writes nothing.
      const written = await writeRows(
        tx,
        versionId,
        files,
        `ON CONFLICT (version_id, path) DO UPDATE SET size_bytes = EXCLUDED.size_bytes, content = EXCLUDED.content
          WHERE stored.size_bytes <> EXCLUDED.size_bytes OR stored.content <> EXCLUDED.content`,
      );
      const removed = await tx.query('DELETE FROM registry.version_files WHERE version_id = $1::int AND NOT (path = ANY($2::text[]))', [
        versionId,
        files.map((f) => f.path),
      ]);
      return written + removed.rowCount;
    });
  }
}
