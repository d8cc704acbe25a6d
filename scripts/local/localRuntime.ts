import { Argon2PasswordHasher } from '../../shared/auth/PasswordHasher.js';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { migrate } from '../../shared/db/migrate.js';
import type { Database } from '../../shared/ports/Database.js';
import { assembleDependencies, createDynamoClient } from '../../shared/runtime/awsDependencies.js';
import type { Dependencies } from '../../shared/runtime/Dependencies.js';
import { createS3Client, S3BlobStore } from '../../shared/adapters/s3/S3BlobStore.js';
import type { BlobStore } from '../../shared/ports/BlobStore.js';
import { EmbeddedDynamo } from './EmbeddedDynamo.js';
import { FsBlobStore } from './FsBlobStore.js';
import { PgliteDatabase } from './PgliteDatabase.js';
import { ensureSessionsTable } from './sessionsTableBootstrap.js';

export interface LocalRuntime {
  deps: Dependencies;
  /** What was chosen, for the start-up banner. */
  stores: { postgres: string; dynamodb: string; blobs: string };
  close(): Promise<void>;
}

export interface LocalRuntimeOptions {
  env: NodeJS.ProcessEnv;
  /** Where embedded stores and the generated JWT secret live; undefined keeps them in memory. */
  dataDir?: string;
  log?: (line: string) => void;
}

async function jwtSecretFor(env: NodeJS.ProcessEnv, dataDir?: string): Promise<string> {
  if (env.JWT_SECRET) return env.JWT_SECRET;
  if (!dataDir) return randomBytes(48).toString('base64url');
  const file = join(dataDir, 'jwt-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(48).toString('base64url');
    // 'wx': if another process wrote it first, fail and read theirs.
    try {
      await writeFile(file, secret, { mode: 0o600, flag: 'wx' });
      await chmod(file, 0o600);
      return secret;
    } catch {
      return (await readFile(file, 'utf8')).trim();
    }
  }
}

async function ensureRootUser(deps: Dependencies, env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<void> {
  const { rows } = await deps.db.query<{ present: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM registry.users WHERE role = 'root') AS present",
  );
  if (rows[0]?.present) return;
  const given = env.RFH_ROOT_PASSWORD;
  const password = given ?? randomBytes(18).toString('base64url');
  const created = await deps.users.ensureRoot(await deps.passwords.hash(password));
  if (created && !given) {
    // Printed once, on the start that creates root; never stored in plain text.
    log(`Created user "root" with generated password: ${password}  (set RFH_ROOT_PASSWORD to choose one)`);
  }
}

/** A store `npm start` picked from the environment, what it is (for banners), and how to let it go. */
export interface PickedStore<T> {
  store: T;
  description: string;
  close(): Promise<void>;
}

/** DATABASE_PIPELINED_CONNECTIONS: 0 to 64; by default one per core, at least 2. */
export function pipelinedConnections(value: string | undefined): number {
  if (value === undefined || value === '') return Math.max(2, availableParallelism());
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) {
    throw new Error(`DATABASE_PIPELINED_CONNECTIONS must be a whole number from 0 to 64, not "${value}"`);
  }
  return n;
}

/** PostgreSQL at DATABASE_URL, else embedded PGlite under `dataDir` (in memory without one); not migrated. */
export async function openLocalDatabase(env: NodeJS.ProcessEnv, dataDir?: string): Promise<PickedStore<Database>> {
  if (env.DATABASE_URL) {
    // A direct connection, unless DATABASE_NAMED_STATEMENTS=off says a transaction-mode pooler
    // sits in between: each statement is parsed and planned once per connection. Single
    // statements are pipelined over one connection per core unless
    // DATABASE_PIPELINED_CONNECTIONS says otherwise (0 behind a pooler).
    const db = new PgDatabase({
      connectionString: env.DATABASE_URL,
      maxConnections: 10,
      namedStatements: env.DATABASE_NAMED_STATEMENTS !== 'off',
      pipelinedConnections: pipelinedConnections(env.DATABASE_PIPELINED_CONNECTIONS),
    });
    return { store: db, description: 'PostgreSQL at DATABASE_URL', close: () => db.close() };
  }
  const db = await PgliteDatabase.open(dataDir ? join(dataDir, 'pg') : undefined);
  return { store: db, description: dataDir ? `embedded PGlite in ${join(dataDir, 'pg')}` : 'embedded PGlite in memory', close: () => db.close() };
}

/** The S3 bucket BLOBS_BUCKET (at S3_ENDPOINT if set), else the folder `dataDir`/blobs (a temporary one without `dataDir`). */
export async function openLocalBlobStore(env: NodeJS.ProcessEnv, dataDir?: string): Promise<PickedStore<BlobStore>> {
  if (env.BLOBS_BUCKET) {
    const client = createS3Client(env);
    return {
      store: new S3BlobStore(client, env.BLOBS_BUCKET),
      description: `S3 bucket ${env.BLOBS_BUCKET}${env.S3_ENDPOINT ? ` at ${env.S3_ENDPOINT}` : ''}`,
      close: async () => client.destroy(),
    };
  }
  const folder = dataDir ? join(dataDir, 'blobs') : await mkdtemp(join(tmpdir(), 'rfh-blobs-'));
  await mkdir(folder, { recursive: true });
  return {
    store: new FsBlobStore(folder),
    description: `folder ${folder}`,
    close: async () => {
      if (!dataDir) await rm(folder, { recursive: true, force: true });
    },
  };
}

/**
 * The stores behind `npm start`: PostgreSQL at DATABASE_URL or embedded PGlite, DynamoDB at
 * DYNAMODB_ENDPOINT or embedded dynalite. Migrates, creates the sessions table and root user.
 */
export async function openLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { env, dataDir } = options;
  const log = options.log ?? ((l: string) => console.log(l));
  if (dataDir) await mkdir(dataDir, { recursive: true });

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const database = await openLocalDatabase(env, dataDir);
    const db = database.store;
    const postgres = database.description;
    closers.push(() => database.close());
    await migrate(db);

    let endpoint = env.DYNAMODB_ENDPOINT;
    let dynamodb = `DynamoDB at ${endpoint}`;
    if (!endpoint) {
      const embedded = await EmbeddedDynamo.start(dataDir ? join(dataDir, 'dynamo') : undefined);
      closers.push(() => embedded.stop());
      endpoint = embedded.endpoint;
      dynamodb = dataDir ? `embedded dynalite in ${join(dataDir, 'dynamo')}` : 'embedded dynalite in memory';
    }
    const raw = createDynamoClient(env, endpoint);
    closers.push(async () => raw.destroy());
    const sessionsTable = env.SESSIONS_TABLE ?? 'rfh-sessions';
    await ensureSessionsTable(raw, sessionsTable);

    const blobStore = await openLocalBlobStore(env, dataDir);
    closers.push(() => blobStore.close());
    const blobs = blobStore.store;
    const blobsWhere = blobStore.description;

    const deps = assembleDependencies({
      db,
      // One store serves both: downloads and the probe read it, publishes write to it.
      blobs,
      blobWrites: blobs,
      passwords: new Argon2PasswordHasher(),
      dynamoClient: raw,
      sessionsTable,
      jwtSecret: await jwtSecretFor(env, dataDir),
      env,
    });
    closers.push(() => deps.sideEffects.close());
    // Revocations a previous run committed but could not apply to DynamoDB (its in-process
    // retries died with it) are swept now.
    deps.sideEffects.enqueue({ kind: 'settle-revocations' });
    await ensureRootUser(deps, env, log);
    return { deps, stores: { postgres, dynamodb, blobs: blobsWhere }, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
