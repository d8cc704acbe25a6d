import { Signer } from '@aws-sdk/rds-signer';
import type { ConnectionOptions } from 'node:tls';

/**
 * Connection settings for node-postgres through RDS Proxy with IAM authentication: the
 * password is a short-lived token signed with the function's own credentials (no database
 * password anywhere in the function), and TLS is required and verified. RDS Proxy presents
 * an ACM certificate that Node's default trust store accepts, so no CA bundle is needed.
 *
 * Spread the result into pg.Pool's config (it has no connectionString). pg calls `password`
 * for every new connection; a token is valid for 15 minutes, so one is reused for 10.
 */
export interface RdsIamAuthOptions {
  host: string;
  port?: number;
  user: string;
  database: string;
  /** Defaults to AWS_REGION from the Lambda environment. */
  region?: string;
  signer?: { getAuthToken(): Promise<string> };
  now?: () => number;
}

export interface RdsIamPgConfig {
  host: string;
  port: number;
  user: string;
  database: string;
  password: () => Promise<string>;
  ssl: ConnectionOptions;
}

const TOKEN_REUSE_MS = 10 * 60 * 1000;

export function rdsIamAuthConfig(options: RdsIamAuthOptions): RdsIamPgConfig {
  const port = options.port ?? 5432;
  const now = options.now ?? Date.now;
  const signer =
    options.signer ??
    new Signer({
      hostname: options.host,
      port,
      username: options.user,
      ...(options.region ? { region: options.region } : {}),
    });
  let cached: { token: Promise<string>; at: number } | undefined;
  const password = (): Promise<string> => {
    if (!cached || now() - cached.at >= TOKEN_REUSE_MS) {
      const token = signer.getAuthToken();
      const entry = { token, at: now() };
      cached = entry;
      token.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.token;
  };
  return {
    host: options.host,
    port,
    user: options.user,
    database: options.database,
    password,
    ssl: { rejectUnauthorized: true, servername: options.host, minVersion: 'TLSv1.2' },
  };
}

/**
 * The settings from the variables the CDK stack sets when DATABASE_IAM_AUTH=true:
 * DATABASE_HOST (the proxy endpoint), DATABASE_PORT, DATABASE_NAME, DATABASE_USER, AWS_REGION.
 * `host` may name another endpoint, e.g. DATABASE_READ_HOST for the read-only proxy endpoint.
 * Returns undefined when IAM authentication is not configured.
 */
export function rdsIamAuthFromEnv(env: NodeJS.ProcessEnv = process.env, host = env.DATABASE_HOST): RdsIamPgConfig | undefined {
  if (env.DATABASE_IAM_AUTH !== 'true') return undefined;
  const need = (name: string, v: string | undefined) => {
    if (!v) throw new Error(`Missing required environment variable ${name}`);
    return v;
  };
  const port = Number(env.DATABASE_PORT ?? 5432);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`Bad DATABASE_PORT "${env.DATABASE_PORT}"`);
  return rdsIamAuthConfig({
    host: need('DATABASE_HOST', host),
    port,
    user: need('DATABASE_USER', env.DATABASE_USER),
    database: need('DATABASE_NAME', env.DATABASE_NAME),
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
  });
}
