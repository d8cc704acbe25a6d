import { DataApiDatabase } from '../../shared/adapters/postgres/DataApiDatabase.js';
import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { migrate } from '../../shared/db/migrate.js';
import type { Database } from '../../shared/ports/Database.js';
import { createPglite } from '../../scripts/local/blankPgliteCluster.js';
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

type Engine = { name: string; open(): Promise<TestDatabase> };

/** DataApiDatabase on a fake Data API (test/support/fakeDataApi.ts). */
function onDataApi(name: string, fake: FakeDataApi, closeEngine: () => Promise<void>): TestDatabase {
  const db = new DataApiDatabase({ ...FAKE_DATA_API_TARGET, client: fake.client });
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

/** A scratch database on the server at DATABASE_URL, through `connect`. */
async function onScratch(name: string, connect: (url: string) => { db: Database; close(): Promise<void> }): Promise<TestDatabase> {
  const scratch = (await createScratchDatabase())!;
  const { db, close } = connect(scratch.url);
  return {
    name,
    db,
    async close() {
      await close();
      await scratch.drop();
    },
  };
}

/**
 * The PostgreSQL drivers every repository suite runs on, each on an empty database of its own:
 * PGlite; DataApiDatabase on the fake Data API over PGlite; and, when DATABASE_URL is set (CI sets
 * it), PgDatabase (node-postgres) on a scratch database of that server and DataApiDatabase on the
 * fake Data API over another one (concurrent transactions on separate connections).
 */
export const blankDatabaseEngines: Engine[] = [
  {
    name: 'PGlite',
    async open() {
      const db = await PgliteDatabase.open();
      return { name: 'PGlite', db, close: () => db.close() };
    },
  },
  {
    name: 'Data API (fake over PGlite)',
    async open() {
      const engine = await createPglite();
      return onDataApi('Data API (fake over PGlite)', FakeDataApi.overPglite(engine), () => engine.close());
    },
  },
  ...(process.env.DATABASE_URL
    ? [
        {
          name: 'PostgreSQL',
          open: () =>
            onScratch('PostgreSQL', (url) => {
              // As `npm start` connects (named statements, single statements pipelined); the
              // unnamed, pooled form, as behind RDS Proxy, is held to the same answers in
              // test/integration/pgDatabase.test.ts.
              const db = new PgDatabase({ connectionString: url, namedStatements: true, pipelinedConnections: 2 });
              return { db, close: () => db.close() };
            }),
        },
        {
          name: 'Data API (fake over PostgreSQL)',
          open: () =>
            onScratch('Data API (fake over PostgreSQL)', (url) => {
              const fake = FakeDataApi.overPostgres(url);
              const t = onDataApi('', fake, async () => {});
              return { db: t.db, close: () => t.close() };
            }),
        },
      ]
    : []),
];

/** The same drivers, each on a freshly migrated database (migrated through the driver itself). */
export const databaseEngines: Engine[] = blankDatabaseEngines.map((engine) => ({
  name: engine.name,
  async open() {
    const t = await engine.open();
    await migrate(t.db);
    return t;
  },
}));
