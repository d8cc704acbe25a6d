import { join, resolve } from 'node:path';
import { PgDatabase } from '../shared/adapters/postgres/PgDatabase.js';
import { migrate } from '../shared/db/migrate.js';
import type { Database } from '../shared/ports/Database.js';
import { PgliteDatabase } from './local/PgliteDatabase.js';

// `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database
// under RFH_DATA_DIR. (`npm start` does this by itself; this is for operators and CI.)
const db: Database = process.env.DATABASE_URL
  ? new PgDatabase({ connectionString: process.env.DATABASE_URL })
  : await PgliteDatabase.open(join(resolve(process.env.RFH_DATA_DIR ?? '.data'), 'pg'));
try {
  const applied = await migrate(db);
  console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Schema is up to date');
} finally {
  await db.close();
}
