/**
 * The AWS-only runtime pieces the stack relies on: RDS IAM authentication for pg through RDS
 * Proxy, the migration function (on PGlite), and the archive adapter each kind of route gets (on
 * s3rver). Secrets Manager reads are in test/unit/awsSecrets.mock.test.ts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUserSql, clusterConnectionString, runMigrations, sqlLiteral } from '../../infra/functions/migrate.js';
import { PgliteDatabase } from '../../scripts/local/PgliteDatabase.js';
import type { Database } from '../../shared/ports/Database.js';
import { rdsIamAuthConfig, rdsIamAuthFromEnv } from '../../shared/adapters/postgres/rdsIamAuth.js';
import type { SecretReader } from '../../shared/runtime/awsSecrets.js';
import { createAwsDependencies } from '../../shared/runtime/awsDependencies.js';
import { startEmulatedS3 } from '../support/emulatedS3.js';

describe('rdsIamAuth', () => {
  it('builds a TLS-verified pg config whose password is an IAM token, reused for ten minutes', async () => {
    let now = 0;
    let signed = 0;
    const cfg = rdsIamAuthConfig({
      host: 'proxy.example',
      user: 'rfh_app',
      database: 'registry',
      now: () => now,
      signer: { getAuthToken: async () => `token-${++signed}` },
    });
    expect(cfg).toMatchObject({ host: 'proxy.example', port: 5432, user: 'rfh_app', database: 'registry' });
    expect(cfg.ssl).toMatchObject({ rejectUnauthorized: true, servername: 'proxy.example' });
    expect(await cfg.password()).toBe('token-1');
    now += 9 * 60_000;
    expect(await cfg.password()).toBe('token-1');
    now += 60_000;
    expect(await cfg.password()).toBe('token-2');
  });

  it('signs with the real signer without any network call', async () => {
    const cfg = rdsIamAuthConfig({ host: 'prx.proxy-abc.eu-west-1.rds.amazonaws.com', user: 'rfh_app', database: 'registry', region: 'eu-west-1' });
    const keys = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;
    const prev = keys.map((k) => [k, process.env[k]] as const);
    for (const k of keys) delete process.env[k];
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    try {
      const token = await cfg.password();
      expect(token).toMatch(/^prx\.proxy-abc\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=rfh_app&X-Amz-/);
    } finally {
      for (const [k, v] of prev) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('reads the settings the stack sets, only when IAM auth is on', () => {
    expect(rdsIamAuthFromEnv({})).toBeUndefined();
    const env = { DATABASE_IAM_AUTH: 'true', DATABASE_HOST: 'h', DATABASE_PORT: '5432', DATABASE_NAME: 'registry', DATABASE_USER: 'rfh_app' };
    expect(rdsIamAuthFromEnv(env)).toMatchObject({ host: 'h', port: 5432, user: 'rfh_app', database: 'registry' });
    expect(rdsIamAuthFromEnv({ ...env, DATABASE_READ_HOST: 'ro' }, 'ro')?.host).toBe('ro');
    expect(() => rdsIamAuthFromEnv({ ...env, DATABASE_USER: '' })).toThrow(/DATABASE_USER/);
  });
});

describe('migration function', () => {
  it('quotes literals and refuses odd role names', () => {
    expect(sqlLiteral("a'b")).toBe("'a''b'");
    expect(() => appUserSql('rfh_app; DROP', 'x')).toThrow(/Bad role name/);
    expect(appUserSql('rfh_app', "p'w")).toContain("PASSWORD 'p''w'");
  });

  it('connects to the writer with verified TLS', () => {
    const url = clusterConnectionString({ username: 'rfh_admin', password: 'p@ss/w:rd', host: 'from-secret', port: 5432 }, {
      DATABASE_HOST: 'writer.cluster.example',
      DATABASE_NAME: 'registry',
    });
    expect(url).toBe('postgresql://rfh_admin:p%40ss%2Fw%3Ard@writer.cluster.example:5432/registry?sslmode=verify-full');
  });

  it('migrates, creates the least-privileged app role and the root user, and can run again', async () => {
    const secrets: Record<string, string> = {
      'arn:master': JSON.stringify({ username: 'postgres', password: 'unused' }),
      'arn:app': JSON.stringify({ username: 'rfh_app', password: "app'pw" }),
      'arn:root': 'root-password-from-secrets-manager',
    };
    const reader: SecretReader = {
      value: async (id) => secrets[id]!,
      json: async (id) => JSON.parse(secrets[id]!),
    };
    const db = await PgliteDatabase.open();
    const env = { DATABASE_SECRET_ARN: 'arn:master', APP_USER_SECRET_ARN: 'arn:app', ROOT_PASSWORD_SECRET_ARN: 'arn:root', DATABASE_HOST: 'h' };
    // The function closes its connection; here one embedded database serves both runs.
    const connect = (): Database => ({
      query: (text, params) => db.query(text, params),
      exec: (script) => db.exec(script),
      transaction: (fn) => db.transaction(fn),
      ping: () => db.ping(),
      close: async () => {},
    });
    try {
      const first = await runMigrations(env, reader, connect);
      expect(first.applied.length).toBeGreaterThan(0);
      expect(first).toMatchObject({ appUser: 'rfh_app', rootCreated: true });
      const second = await runMigrations(env, reader, connect);
      expect(second).toMatchObject({ applied: [], rootCreated: false });

      const { rows } = await db.query<{ rolsuper: boolean; rolcanlogin: boolean; config: string[] | null }>(
        "SELECT rolsuper, rolcanlogin, rolconfig AS config FROM pg_roles WHERE rolname = 'rfh_app'",
      );
      expect(rows[0]).toMatchObject({ rolsuper: false, rolcanlogin: true });
      expect(rows[0]!.config).toContain('search_path=registry, public');
      const grants = await db.query<{ privilege_type: string }>(
        "SELECT DISTINCT privilege_type FROM information_schema.role_table_grants WHERE grantee = 'rfh_app' AND table_schema = 'registry'",
      );
      expect(grants.rows.map((g) => g.privilege_type).sort()).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
      const root = await db.query<{ role: string }>("SELECT role FROM registry.users WHERE username = 'root'");
      expect(root.rows).toEqual([{ role: 'root' }]);
    } finally {
      await db.close();
    }
  }, 60_000);
});

describe('createAwsDependencies: the archive ports', () => {
  let s3: Awaited<ReturnType<typeof startEmulatedS3>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    s3 = await startEmulatedS3('rfh-runtime');
    env = {
      BLOBS_BUCKET: 'rfh-runtime',
      S3_ENDPOINT: `http://127.0.0.1:${s3.port}`,
      SESSIONS_TABLE: 'rfh-sessions',
      JWT_SECRET: 'j'.repeat(48),
      AWS_REGION: 'eu-west-1',
    };
  });
  afterAll(async () => s3?.stop());

  it('a route that only reads archives gets the read-only adapter, and no writes', async () => {
    const deps = await createAwsDependencies(['blobs'], env);
    try {
      await expect(deps.blobs.ping()).resolves.toBeUndefined();
      expect(await deps.blobs.download('0'.repeat(64))).toBeNull();
      expect('put' in deps.blobs).toBe(false);
      expect(() => deps.blobWrites.put).toThrow(/without the "blobWrites" port/);
    } finally {
      await deps.sideEffects.close();
    }
  });

  it('publishing gets the whole store, and what it writes the reader finds', async () => {
    const writing = await createAwsDependencies(['blobWrites'], env);
    const reading = await createAwsDependencies(['blobs'], env);
    try {
      expect(() => writing.blobs.download).toThrow(/without the "blobs" port/);
      const bytes = new TextEncoder().encode('an archive');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      await writing.blobWrites.put(sha256, bytes);
      const d = await reading.blobs.download(sha256);
      expect(d?.kind).toBe('redirect');
      expect(new Uint8Array(await (await fetch((d as { url: string }).url)).arrayBuffer())).toEqual(bytes);
    } finally {
      await writing.sideEffects.close();
      await reading.sideEffects.close();
    }
  });
});
