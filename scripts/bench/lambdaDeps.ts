import { Argon2PasswordHasher } from '../../shared/auth/PasswordHasher.js';
import { PgDatabase } from '../../shared/adapters/postgres/PgDatabase.js';
import { assembleDependencies, createDynamoClient } from '../../shared/runtime/awsDependencies.js';
import { provideDependencies, type Dependencies } from '../../shared/runtime/Dependencies.js';
import { FsBlobStore } from '../local/FsBlobStore.js';

// Bundled next to each function for the Lambda view (`npm run bench -- lambda`), with code
// splitting so that it shares the function's module instances: provideDependencies here sets the
// factory the function's own `dependencies()` uses. The stores are the Lambda ones (node-postgres
// pool of 2, as createAwsDependencies makes it; the DynamoDB client; side effects applied
// in-process) except blobs, which live on the local disk (FsBlobStore) rather than in S3.

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`lambda bench: missing ${name}`);
  return v;
}

/** Registers the factory (built lazily, on the first invocation, as in Lambda); close() ends the stores. */
export function provideBenchDependencies(env: NodeJS.ProcessEnv): { close(): Promise<void> } {
  let built: Dependencies | undefined;
  let raw: ReturnType<typeof createDynamoClient> | undefined;
  provideDependencies(async () => {
    raw = createDynamoClient(env);
    const blobs = new FsBlobStore(required(env, 'RFH_BENCH_BLOBS_DIR'));
    built = assembleDependencies({
      db: new PgDatabase({ connectionString: required(env, 'DATABASE_URL'), maxConnections: 2 }),
      blobs,
      blobWrites: blobs,
      passwords: new Argon2PasswordHasher(),
      dynamoClient: raw,
      sessionsTable: env.SESSIONS_TABLE ?? 'rfh-sessions',
      jwtSecret: required(env, 'JWT_SECRET'),
      env,
    });
    return built;
  });
  return {
    async close() {
      await built?.sideEffects.close();
      await built?.db.close();
      raw?.destroy();
    },
  };
}
