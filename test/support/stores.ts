import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { migrate } from '../../shared/db/migrate.js';
import type { Database } from '../../shared/ports/Database.js';
import { PgliteDatabase } from '../../scripts/local/PgliteDatabase.js';
import { createScratchDatabase } from '../../scripts/local/scratchDatabase.js';

export interface TestDatabase {
  name: string;
  db: Database;
  close(): Promise<void>;
}

/**
 * The PostgreSQL engines every repository suite runs on: PGlite always, and the real server at
 * DATABASE_URL when it is set (CI sets it), each freshly migrated.
 */
export const databaseEngines: Array<{ name: string; open(): Promise<TestDatabase> }> = [
  {
    name: 'PGlite',
    async open() {
      const db = await PgliteDatabase.open();
      await migrate(db);
      return { name: 'PGlite', db, close: () => db.close() };
    },
  },
  ...(process.env.DATABASE_URL
    ? [
        {
          name: 'PostgreSQL',
          async open() {
            const scratch = (await createScratchDatabase())!;
            const db = new PgDatabase({ connectionString: scratch.url });
            await migrate(db);
            return {
              name: 'PostgreSQL',
              db,
              async close() {
                await db.close();
                await scratch.drop();
              },
            };
          },
        },
      ]
    : []),
];
