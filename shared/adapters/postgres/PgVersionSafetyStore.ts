import type { StoredFinding } from '../../packages/Package.js';
import type { SafetyScan } from '../../packages/ruleSafety.js';
import type { Database, SqlClient } from '../../ports/Database.js';
import type { VersionSafetyStore } from '../../ports/VersionSafetyStore.js';

/** Rows per INSERT: a version may carry thousands of findings, and a Data API call takes at most 4 MiB. */
const ROWS_PER_STATEMENT = 1000;
/** As the CHECKs of migration 011 bound them. */
const TEXT_MAX = 2000;

const bounded = (text: string) => ([...text].length > TEXT_MAX ? `${[...text].slice(0, TEXT_MAX - 1).join('')}…` : text);

/**
 * The findings of a version, in the scanner's order, all in one statement per thousand rows
 * (the caller's transaction; the version has none yet).
 */
export async function insertVersionFindings(tx: SqlClient, versionId: number, findings: readonly StoredFinding[]): Promise<void> {
  for (let from = 0; from < findings.length; from += ROWS_PER_STATEMENT) {
    const rows = findings.slice(from, from + ROWS_PER_STATEMENT);
    await tx.query(
      `INSERT INTO registry.version_findings (version_id, ordinal, file, line, column_number, rule, severity, message, excerpt)
       SELECT $1::int, $2::int + f.n - 1, f.file, f.line, f.column_number, f.rule, f.severity, f.message, f.excerpt
         FROM unnest($3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[])
              WITH ORDINALITY AS f(file, line, column_number, rule, severity, message, excerpt, n)`,
      [
        versionId,
        from,
        rows.map((f) => f.file),
        rows.map((f) => f.line),
        rows.map((f) => f.column),
        rows.map((f) => f.rule),
        rows.map((f) => f.severity),
        rows.map((f) => bounded(f.message)),
        rows.map((f) => bounded(f.excerpt)),
      ],
    );
  }
}

/**
 * The JSON of a version's findings in order, for a SELECT whose version row is `v` (decoded by
 * every driver: json is parsed by the Data API driver as by pg).
 */
export const FINDINGS_JSON = `(SELECT coalesce(json_agg(json_build_object(
    'file', f.file, 'line', f.line, 'column', f.column_number, 'rule', f.rule,
    'severity', f.severity, 'message', f.message, 'excerpt', f.excerpt) ORDER BY f.ordinal), '[]'::json)
   FROM registry.version_findings f WHERE f.version_id = v.id)`;

const sameFindings = (a: readonly StoredFinding[], b: readonly StoredFinding[]) =>
  a.length === b.length &&
  a.every((f, i) => {
    const g = b[i]!;
    return f.file === g.file && f.line === g.line && f.column === g.column && f.rule === g.rule && f.severity === g.severity
      && f.message === g.message && f.excerpt === g.excerpt;
  });

export class PgVersionSafetyStore implements VersionSafetyStore {
  constructor(private readonly db: Database) {}

  async scannedAmong(versionIds: readonly number[], scannerVersion: number): Promise<Set<number>> {
    if (versionIds.length === 0) return new Set();
    const { rows } = await this.db.query<{ id: number }>(
      'SELECT v.id FROM registry.package_versions v WHERE v.id = ANY($1::int[]) AND v.scanner_version >= $2::int',
      [versionIds, scannerVersion],
    );
    return new Set(rows.map((r) => r.id));
  }

  replaceFindings(versionId: number, scan: SafetyScan): Promise<boolean> {
    const wanted = scan.findings.map((f) => ({ ...f, message: bounded(f.message), excerpt: bounded(f.excerpt) }));
    return this.db.transaction(async (tx) => {
      // The version row is locked, so two rescans of one version cannot interleave their rows.
      const { rows } = await tx.query<{ scanner_version: number | null; findings: StoredFinding[] }>(
        `SELECT v.scanner_version, ${FINDINGS_JSON} AS findings FROM registry.package_versions v WHERE v.id = $1::int FOR UPDATE`,
        [versionId],
      );
      const current = rows[0];
      if (!current) return false;
      if (current.scanner_version === scan.scannerVersion && sameFindings(current.findings, wanted)) return false;
      await tx.query('DELETE FROM registry.version_findings WHERE version_id = $1::int', [versionId]);
      await insertVersionFindings(tx, versionId, wanted);
      await tx.query(
        'UPDATE registry.package_versions SET scanner_version = $2::int, safety_revision = safety_revision + 1 WHERE id = $1::int',
        [versionId, scan.scannerVersion],
      );
      return true;
    });
  }
}
