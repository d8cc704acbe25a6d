import type { Database } from '../../ports/Database.js';
import type { PublishedVersions, StoredVersion } from '../../ports/PublishedVersions.js';

export class PgPublishedVersions implements PublishedVersions {
  constructor(private readonly db: Database) {}

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM registry.package_versions');
    return rows[0]?.n ?? 0;
  }

  async after(afterId: number, limit: number): Promise<StoredVersion[]> {
    const { rows } = await this.db.query<StoredVersion>(
      `SELECT v.id, p.name, v.version, v.sha256
         FROM registry.package_versions v JOIN registry.packages p ON p.id = v.package_id
        WHERE v.id > $1::int ORDER BY v.id LIMIT $2::int`,
      [afterId, limit],
    );
    return rows;
  }
}
