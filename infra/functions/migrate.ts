/**
 * The migration function, run by the deployment (aws-cdk-lib/triggers) after the cluster is up
 * and before any API function is created or updated. It connects to the cluster's writer
 * directly (not through RDS Proxy: the migrator takes an advisory lock) with the master
 * credentials, over verified TLS, and:
 *   1. applies pending schema migrations (shared/db/migrate.ts);
 *   2. creates or updates the application's login role (the user the API functions connect as
 *      through the proxy with IAM tokens) with only the rights the API needs on the
 *      `registry` schema, and `search_path` set on the role (no session-level SET through the proxy);
 *   3. creates the root user if missing, with the generated password from Secrets Manager.
 * Safe to run again: every step is idempotent. A failure fails the deployment.
 */
import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { PgUserRepo } from '../../shared/adapters/postgres/PgUserRepo.js';
import { Argon2PasswordHasher } from '../../shared/auth/PasswordHasher.js';
import { migrate } from '../../shared/db/migrate.js';
import type { Database } from '../../shared/ports/Database.js';
import { secrets, type SecretReader } from '../../shared/runtime/awsSecrets.js';

/** The JSON that RDS keeps in a generated database secret. */
interface DbSecret {
  username: string;
  password: string;
  host?: string;
  port?: number;
  dbname?: string;
}

export interface MigrationResult {
  applied: string[];
  appUser: string;
  rootCreated: boolean;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A SQL string literal (standard_conforming_strings is on: only quotes need doubling). */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('NUL in SQL literal');
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The statements that make `user` the API's least-privileged login: data rights on the
 * registry schema's tables and sequences (now and for tables later migrations create), no DDL.
 */
export function appUserSql(user: string, password: string, schema = 'registry'): string {
  if (!IDENTIFIER.test(user)) throw new Error(`Bad role name "${user}"`);
  if (!IDENTIFIER.test(schema)) throw new Error(`Bad schema name "${schema}"`);
  return `
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${sqlLiteral(user)}) THEN
    CREATE ROLE ${user} LOGIN;
  END IF;
END $$;
ALTER ROLE ${user} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${sqlLiteral(password)};
ALTER ROLE ${user} SET search_path = ${schema}, public;
GRANT USAGE ON SCHEMA ${schema} TO ${user};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${user};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${user};
ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${user};
ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT USAGE, SELECT ON SEQUENCES TO ${user};
`;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`Missing required environment variable ${name}`);
  return v;
}

/** The direct, TLS-verified connection string for the cluster's writer. */
export function clusterConnectionString(master: DbSecret, env: NodeJS.ProcessEnv): string {
  const host = env.DATABASE_HOST ?? master.host;
  if (!host) throw new Error('No database host (DATABASE_HOST or the secret\'s host)');
  const port = env.DATABASE_PORT ?? String(master.port ?? 5432);
  const database = env.DATABASE_NAME ?? master.dbname ?? 'postgres';
  const e = encodeURIComponent;
  return `postgresql://${e(master.username)}:${e(master.password)}@${host}:${port}/${e(database)}?sslmode=verify-full`;
}

export async function runMigrations(
  env: NodeJS.ProcessEnv,
  reader: SecretReader,
  connect: (connectionString: string) => Database = (connectionString) =>
    // Aurora Serverless v2 may be resuming from a pause: allow a slow first connect.
    new PgDatabase({ connectionString, maxConnections: 1, connectTimeoutMs: 30_000, statementTimeoutMs: 120_000 }),
): Promise<MigrationResult> {
  const [master, app, rootPassword] = await Promise.all([
    reader.json<DbSecret>(required(env, 'DATABASE_SECRET_ARN')),
    reader.json<DbSecret>(required(env, 'APP_USER_SECRET_ARN')),
    reader.value(required(env, 'ROOT_PASSWORD_SECRET_ARN')),
  ]);
  const db = connect(clusterConnectionString(master, env));
  try {
    const applied = await migrate(db);
    await db.exec(appUserSql(app.username, app.password));
    const rootCreated = await new PgUserRepo(db).ensureRoot(await new Argon2PasswordHasher().hash(rootPassword));
    return { applied, appUser: app.username, rootCreated };
  } finally {
    await db.close();
  }
}

export async function handler(): Promise<MigrationResult> {
  const result = await runMigrations(process.env, secrets());
  console.log(JSON.stringify({ message: 'migrations done', ...result }));
  return result;
}
