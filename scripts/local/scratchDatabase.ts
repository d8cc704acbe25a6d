import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A throw-away database on the PostgreSQL server at `base` (default DATABASE_URL; CI sets it to
 * this machine's server), so test files and bench runs never see each other's rows. Undefined
 * when no server is configured: the test suites then run on PGlite only.
 */
export async function createScratchDatabase(
  base = process.env.DATABASE_URL,
): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (!base) return undefined;
  const name = `rfh_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
