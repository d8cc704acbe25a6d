import type { Database } from '../ports/Database.js';
import { migrations as allMigrations } from './migrations/index.js';

// Any constant: the advisory lock that serialises concurrent migrators (two processes
// starting at once). Migrations connect to the database directly, never through RDS Proxy,
// where advisory locks would pin connections.
const MIGRATION_LOCK_KEY = 724_311_905;

/** Applies pending migrations in one transaction; safe to run from several processes at once. */
export async function migrate(db: Database, migrations = allMigrations): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`
      CREATE SCHEMA IF NOT EXISTS registry;
      CREATE TABLE IF NOT EXISTS registry.schema_migrations (
        id text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      );`);
    const { rows } = await tx.query<{ id: string }>('SELECT id FROM registry.schema_migrations');
    const applied = new Set(rows.map((r) => r.id));
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO registry.schema_migrations (id) VALUES ($1)', [m.id]);
      done.push(m.id);
    }
    return done;
  });
}
