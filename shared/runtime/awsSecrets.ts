import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { boundedRequestHandler } from '../resilience/sdkTimeouts.js';

/**
 * Secrets from AWS Secrets Manager, read once per Lambda container and kept in memory. The
 * stack hands functions only a secret's ARN (e.g. JWT_SECRET_ARN), never its value, so the
 * value is in no environment variable, template or console. A failed read is not cached:
 * the next call tries again.
 */
export interface SecretReader {
  /** The secret's string value. */
  value(secretId: string): Promise<string>;
  /** The secret's value parsed as JSON (e.g. RDS credentials: username, password, host...). */
  json<T = Record<string, unknown>>(secretId: string): Promise<T>;
}

/**
 * A Secrets Manager client with bounded timeouts, as for every other I/O. The first request of a
 * container reads the secrets, so two attempts of at most 1.5 s each (enforced) fit in its deadline.
 */
export function createSecretsClient(env: NodeJS.ProcessEnv = process.env): SecretsManagerClient {
  const endpoint = env.SECRETS_MANAGER_ENDPOINT;
  return new SecretsManagerClient({
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 2,
    requestHandler: boundedRequestHandler({ connectTimeoutMs: 1000, requestTimeoutMs: 1500 }),
  });
}

export function createSecretReader(client: Pick<SecretsManagerClient, 'send'> = createSecretsClient()): SecretReader {
  const cache = new Map<string, Promise<string>>();
  const value = (secretId: string): Promise<string> => {
    let pending = cache.get(secretId);
    if (!pending) {
      pending = client.send(new GetSecretValueCommand({ SecretId: secretId })).then((out) => {
        if (typeof out.SecretString !== 'string') {
          throw new Error(`Secret ${secretId} has no string value`);
        }
        return out.SecretString;
      });
      cache.set(secretId, pending);
      pending.catch(() => cache.delete(secretId));
    }
    return pending;
  };
  return {
    value,
    async json<T>(secretId: string): Promise<T> {
      const raw = await value(secretId);
      try {
        return JSON.parse(raw) as T;
      } catch {
        throw new Error(`Secret ${secretId} is not JSON`);
      }
    },
  };
}

let shared: SecretReader | undefined;

/** The container-wide reader (one client, one cache per Lambda container). */
export function secrets(): SecretReader {
  shared ??= createSecretReader();
  return shared;
}

/**
 * The JWT signing secret: from Secrets Manager when JWT_SECRET_ARN is set (AWS), else from
 * JWT_SECRET (local runs and tests only).
 */
export async function jwtSecretFromEnv(env: NodeJS.ProcessEnv = process.env, reader: SecretReader = secrets()): Promise<string> {
  if (env.JWT_SECRET_ARN) return reader.value(env.JWT_SECRET_ARN);
  if (env.JWT_SECRET) return env.JWT_SECRET;
  throw new Error('Missing required environment variable JWT_SECRET_ARN (or JWT_SECRET outside AWS)');
}

/** The CDN's origin secret (ORIGIN_SECRET_ARN, set where the stack has a CDN); none otherwise. */
export async function originSecretFromEnv(env: NodeJS.ProcessEnv = process.env, reader: SecretReader = secrets()): Promise<string | undefined> {
  return env.ORIGIN_SECRET_ARN ? reader.value(env.ORIGIN_SECRET_ARN) : undefined;
}
