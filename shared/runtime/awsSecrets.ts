import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { RotatingSecret, SecretVersions } from '../auth/rotatingSecret.js';
import { boundedRequestHandler } from '../resilience/sdkTimeouts.js';

/**
 * Secrets from AWS Secrets Manager through Powertools Parameters' secrets provider, cached in the
 * container for a maximum age and then read again, so a rotation reaches every container within
 * that age without a redeploy. The stack hands functions only a secret's ARN (e.g.
 * JWT_SECRET_ARN), never its value, so the value is in no environment variable, template or
 * console, and nothing here logs one. A failed read is not cached: the next call tries again.
 */
export interface SecretReader {
  /** The secret's string value. */
  value(secretId: string): Promise<string>;
  /** The secret's value parsed as JSON (e.g. RDS credentials: username, password, host...). */
  json<T = Record<string, unknown>>(secretId: string): Promise<T>;
}

/**
 * How long a container uses a secret before reading it again: the longest a rotation takes to
 * reach every container. Each read is one GetSecretValue call per secret and container.
 */
export const SECRET_MAX_AGE_SECONDS = 300;

/**
 * How long the CDN's previous origin secret is still accepted after a rotation: CloudFront copies
 * the value at deploy time, so this is the time allowed for the stack update that carries the new
 * value to CloudFront and for CloudFront to propagate it (see infra/README.md).
 */
export const ORIGIN_SECRET_GRACE_SECONDS = 3600;

/** After a failed refresh, the last value read is used this long before the next attempt. */
const RETRY_AFTER_FAILED_REFRESH_MS = 10_000;

/**
 * A Secrets Manager client with bounded timeouts, as for every other I/O. A secret is read at a
 * container's first request and again after its maximum age, inside a request, so two attempts
 * of at most 1.5 s each (enforced) fit in its deadline.
 */
export function createSecretsClient(env: NodeJS.ProcessEnv = process.env): SecretsManagerClient {
  const endpoint = env.SECRETS_MANAGER_ENDPOINT;
  return new SecretsManagerClient({
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 2,
    requestHandler: boundedRequestHandler({ connectTimeoutMs: 1000, requestTimeoutMs: 1500 }),
  });
}

type Stage = 'AWSCURRENT' | 'AWSPREVIOUS';

/**
 * Powertools' secrets provider for one version stage (its cache is keyed by the secret's name
 * only, so each stage needs its own provider), also recording when the version it read was
 * created: for AWSCURRENT, when the last rotation took effect. A secret that was never rotated
 * has no AWSPREVIOUS: that answer ('') is cached like a value.
 */
class StagedSecretsProvider extends SecretsProvider {
  readonly createdAt = new Map<string, number>();

  constructor(
    client: SecretsManagerClient,
    private readonly stage: Stage,
  ) {
    super({ awsSdkV3Client: client });
  }

  protected override async _get(name: string): Promise<string> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: this.stage }));
      if (typeof out.SecretString !== 'string') throw new Error(`Secret ${name} has no string value`);
      if (out.CreatedDate) this.createdAt.set(name, out.CreatedDate.getTime());
      return out.SecretString;
    } catch (err) {
      if (this.stage === 'AWSPREVIOUS' && err instanceof ResourceNotFoundException) return '';
      throw err;
    }
  }
}

export interface SecretStore {
  reader: SecretReader;
  /**
   * A rotating secret: its current value, and its previous one for `previousWindowMs` after the
   * current version was created.
   */
  rotating(secretId: string, previousWindowMs: number): RotatingSecret;
}

export function createSecretStore(
  client: SecretsManagerClient = createSecretsClient(),
  { maxAgeSeconds = SECRET_MAX_AGE_SECONDS, now = Date.now }: { maxAgeSeconds?: number; now?: () => number } = {},
): SecretStore {
  const current = new StagedSecretsProvider(client, 'AWSCURRENT');
  const previous = new StagedSecretsProvider(client, 'AWSPREVIOUS');
  const read = async (provider: StagedSecretsProvider, secretId: string) => (await provider.get(secretId, { maxAge: maxAgeSeconds })) as string;
  const staleMs = maxAgeSeconds * 1000;

  const reader: SecretReader = {
    value: (secretId) => read(current, secretId),
    async json<T>(secretId: string): Promise<T> {
      const raw = await read(current, secretId);
      try {
        return JSON.parse(raw) as T;
      } catch {
        throw new Error(`Secret ${secretId} is not JSON`);
      }
    },
  };

  const rotating = (secretId: string, previousWindowMs: number): RotatingSecret => {
    const load = async (): Promise<SecretVersions> => {
      const value = await read(current, secretId);
      const replacedAt = current.createdAt.get(secretId);
      if (replacedAt === undefined || now() - replacedAt >= previousWindowMs) return { current: value };
      const before = await read(previous, secretId);
      return before && before !== value ? { current: value, previous: { value: before, replacedAt } } : { current: value };
    };
    // Concurrent requests share one read; after a failed refresh the last value read serves
    // until the next attempt, so an outage of Secrets Manager does not fail every request.
    let pending: Promise<SecretVersions> | undefined;
    let last: SecretVersions | undefined;
    let retryAt = 0;
    return {
      staleMs,
      versions() {
        if (last && now() < retryAt) return Promise.resolve(last);
        pending ??= load()
          .then(
            (versions) => (last = versions),
            (err: unknown) => {
              if (!last) throw err;
              retryAt = now() + RETRY_AFTER_FAILED_REFRESH_MS;
              return last;
            },
          )
          .finally(() => (pending = undefined));
        return pending;
      },
    };
  };

  return { reader, rotating };
}

let shared: SecretStore | undefined;

/** The container-wide store (one client, one cache per Lambda container). */
export function secretStore(): SecretStore {
  shared ??= createSecretStore();
  return shared;
}

/** The container-wide reader of plain secrets (the migration function's credentials). */
export function secrets(): SecretReader {
  return secretStore().reader;
}

/**
 * The JWT signing key: from Secrets Manager when JWT_SECRET_ARN is set (AWS), else JWT_SECRET
 * (local runs and tests only). After a rotation the previous key still verifies the tokens it
 * signed until they expire: for the session lifetime plus the cache's maximum age (a container
 * may sign with it that long after the rotation).
 */
export function jwtSecretFromEnv(
  env: NodeJS.ProcessEnv,
  sessionTtlSeconds: number,
  store: () => SecretStore = secretStore,
): RotatingSecret | string {
  if (env.JWT_SECRET_ARN) return store().rotating(env.JWT_SECRET_ARN, sessionTtlSeconds * 1000 + SECRET_MAX_AGE_SECONDS * 1000);
  if (env.JWT_SECRET) return env.JWT_SECRET;
  throw new Error('Missing required environment variable JWT_SECRET_ARN (or JWT_SECRET outside AWS)');
}

/** The CDN's origin secret (ORIGIN_SECRET_ARN, set where the stack has a CDN); none otherwise. */
export function originSecretFromEnv(env: NodeJS.ProcessEnv, store: () => SecretStore = secretStore): RotatingSecret | undefined {
  return env.ORIGIN_SECRET_ARN ? store().rotating(env.ORIGIN_SECRET_ARN, ORIGIN_SECRET_GRACE_SECONDS * 1000) : undefined;
}
