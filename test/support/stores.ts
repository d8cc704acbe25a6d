import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { DataApiDatabase } from '../../shared/adapters/postgres/DataApiDatabase.js';
import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { migrate } from '../../shared/db/migrate.js';
import type { Database } from '../../shared/ports/Database.js';
import { PgliteDatabase } from '../../scripts/local/PgliteDatabase.js';
import { createScratchDatabase } from '../../scripts/local/scratchDatabase.js';
import { FakeDataApi } from './fakeDataApi.js';

export interface TestDatabase {
  name: string;
  db: Database;
  close(): Promise<void>;
}

/** What DataApiDatabase is told to talk to: any ARNs do for the fake Data API. */
export const FAKE_DATA_API_TARGET = {
  resourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:rfh',
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rfh',
  database: 'rfh',
};

/** DataApiDatabase on a fake Data API (test/support/fakeDataApi.ts), migrated through it. */
async function openOnDataApi(name: string, fake: FakeDataApi, closeEngine: () => Promise<void>): Promise<TestDatabase> {
  const db = new DataApiDatabase({ ...FAKE_DATA_API_TARGET, client: fake.client });
  await migrate(db);
  return {
    name,
    db,
    async close() {
      await db.close();
      await fake.close();
      await closeEngine();
    },
  };
}

/**
 * The PostgreSQL drivers every repository suite runs on, each on a freshly migrated database:
 * PGlite; DataApiDatabase on the fake Data API over PGlite; and, when DATABASE_URL is set (CI sets
 * it), PgDatabase (node-postgres) on a scratch database of that server and DataApiDatabase on the
 * fake Data API over another one (concurrent transactions on separate connections).
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
  {
    name: 'Data API (fake over PGlite)',
    async open() {
      const engine = await PGlite.create({ extensions: { pg_trgm } });
      return openOnDataApi('Data API (fake over PGlite)', FakeDataApi.overPglite(engine), () => engine.close());
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
        {
          name: 'Data API (fake over PostgreSQL)',
          async open() {
            const scratch = (await createScratchDatabase())!;
            return openOnDataApi('Data API (fake over PostgreSQL)', FakeDataApi.overPostgres(scratch.url), () => scratch.drop());
          },
        },
      ]
    : []),
];
