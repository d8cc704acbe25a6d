/** Settings that do not depend on where the code runs. */
export interface AppConfig {
  serviceVersion: string;
  sessionTtlSeconds: number;
  /**
   * Per account and fixed window: after `maxFailures` failed attempts every attempt is refused
   * (429) until the window ends. Each attempt is counted before its password is hashed, and at
   * most `maxFailures + concurrencyAllowance` attempts may be failed or in flight at once, so a
   * burst of simultaneous guesses gets at most that many passwords checked per window, however
   * many requests it sends. The allowance is what lets simultaneous correct logins of one account
   * (a fleet of CI jobs) through: a successful attempt frees its place when it completes.
   */
  loginThrottle: { maxFailures: number; windowSeconds: number; concurrencyAllowance: number };
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
      concurrencyAllowance: nonNegativeInt(env.RFH_LOGIN_CONCURRENCY_ALLOWANCE, 50),
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

function nonNegativeInt(raw: string | undefined, fallback: number): number {
  return raw === '0' ? 0 : positiveInt(raw, fallback);
}
