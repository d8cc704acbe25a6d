/** Settings that do not depend on where the code runs. */
export interface AppConfig {
  serviceVersion: string;
  sessionTtlSeconds: number;
  loginThrottle: { maxFailures: number; windowSeconds: number };
  /** Origins allowed by CORS; '*' for any. */
  corsOrigins: string[];
  rateLimitEnabled: boolean;
  /** How many registries one user may create. */
  registryCapPerUser: number;
}

export const SERVICE_NAME = 'rulestack-api';
export const SERVICE_VERSION = '0.1.0';

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    serviceVersion: env.RFH_VERSION ?? SERVICE_VERSION,
    sessionTtlSeconds: positiveInt(env.RFH_SESSION_TTL_SECONDS, 24 * 3600),
    loginThrottle: {
      maxFailures: positiveInt(env.RFH_LOGIN_MAX_FAILURES, 10),
      windowSeconds: positiveInt(env.RFH_LOGIN_WINDOW_SECONDS, 15 * 60),
    },
    corsOrigins: (env.RFH_CORS_ORIGINS ?? '*').split(',').map((s) => s.trim()).filter(Boolean),
    rateLimitEnabled: env.RFH_RATE_LIMIT !== 'off',
    registryCapPerUser: positiveInt(env.RFH_REGISTRY_CAP, 10),
  };
}

function positiveInt(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`Expected a positive integer, got "${raw}"`);
  return n;
}
