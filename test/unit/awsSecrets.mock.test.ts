import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createSecretStore,
  jwtSecretFromEnv,
  ORIGIN_SECRET_GRACE_SECONDS,
  originSecretFromEnv,
  SECRET_MAX_AGE_SECONDS,
  type SecretStore,
} from '../../shared/runtime/awsSecrets.js';

// What the secret store asks of Secrets Manager, call by call (aws-sdk-client-mock), with the
// clock under the test's control (the Parameters cache reads Date).
const sm = mockClient(SecretsManagerClient);
const client = () => new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
const T0 = Date.parse('2026-11-30T12:00:00Z');
const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);

const calls = (stage?: string) =>
  sm.commandCalls(GetSecretValueCommand).filter((c) => stage === undefined || c.args[0].input.VersionStage === stage).length;
const notFound = () => new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret version", $metadata: {} });
const after = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

beforeEach(() => {
  sm.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());
afterAll(() => sm.restore());

describe('SecretReader (Powertools Parameters secrets provider)', () => {
  it('reads a secret once, serves it from memory until its maximum age, then reads it again', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'arn:db' })
      .resolvesOnce({ SecretString: 'first' })
      .resolves({ SecretString: 'second' });
    const { reader } = createSecretStore(client());
    await expect(reader.value('arn:db')).resolves.toBe('first');
    after(SECRET_MAX_AGE_SECONDS - 1);
    await expect(reader.value('arn:db')).resolves.toBe('first');
    expect(calls()).toBe(1);
    after(2);
    await expect(reader.value('arn:db')).resolves.toBe('second');
    expect(calls()).toBe(2);
  });

  it('does not cache a failure, parses JSON secrets and refuses binary ones', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'arn:db' })
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: JSON.stringify({ username: 'rfh_admin', password: 'p' }) });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:bin' }).resolves({ SecretBinary: new Uint8Array([1]) });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:text' }).resolves({ SecretString: 'not json' });
    const { reader } = createSecretStore(client());
    await expect(reader.value('arn:db')).rejects.toThrow('throttled');
    await expect(reader.json<{ username: string }>('arn:db')).resolves.toMatchObject({ username: 'rfh_admin' });
    expect(calls()).toBe(2);
    await expect(reader.value('arn:bin')).rejects.toThrow(/no string value/);
    await expect(reader.json('arn:text')).rejects.toThrow(/not JSON/);
  });
});

describe('rotating secrets', () => {
  const rotated = (store: SecretStore) => store.rotating('arn:key', 3600_000);

  it('offers only the current value when the secret was never rotated, and remembers that', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'arn:key', VersionStage: 'AWSCURRENT' }).resolves({ SecretString: KEY_A, CreatedDate: new Date(T0) });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:key', VersionStage: 'AWSPREVIOUS' }).rejects(notFound());
    const secret = rotated(createSecretStore(client()));
    // Concurrent requests of a new container share one read.
    await expect(Promise.all([secret.versions(), secret.versions()])).resolves.toEqual([{ current: KEY_A }, { current: KEY_A }]);
    await expect(secret.versions()).resolves.toEqual({ current: KEY_A });
    expect(calls('AWSCURRENT')).toBe(1);
    expect(calls('AWSPREVIOUS')).toBe(1);
  });

  it('after a rotation, offers the previous value within its window and not after', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'arn:key', VersionStage: 'AWSCURRENT' }).resolves({ SecretString: KEY_B, CreatedDate: new Date(T0 - 60_000) });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:key', VersionStage: 'AWSPREVIOUS' }).resolves({ SecretString: KEY_A, CreatedDate: new Date(T0 - 86_400_000) });
    const secret = rotated(createSecretStore(client()));
    await expect(secret.versions()).resolves.toEqual({ current: KEY_B, previous: { value: KEY_A, replacedAt: T0 - 60_000 } });
    expect(secret.staleMs).toBe(SECRET_MAX_AGE_SECONDS * 1000);
    after(3600 - 60 + 1);
    await expect(secret.versions()).resolves.toEqual({ current: KEY_B });
  });

  it('takes up a rotation at the next read after the maximum age, without a new container', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'arn:key', VersionStage: 'AWSCURRENT' })
      .resolvesOnce({ SecretString: KEY_A, CreatedDate: new Date(T0 - 86_400_000) })
      .resolves({ SecretString: KEY_B, CreatedDate: new Date(T0 + 100_000) });
    sm.on(GetSecretValueCommand, { SecretId: 'arn:key', VersionStage: 'AWSPREVIOUS' }).resolves({ SecretString: KEY_A });
    const secret = rotated(createSecretStore(client()));
    await expect(secret.versions()).resolves.toEqual({ current: KEY_A });
    after(120); // rotated at T0 + 100 s; this container's value is not yet expired
    await expect(secret.versions()).resolves.toEqual({ current: KEY_A });
    after(SECRET_MAX_AGE_SECONDS);
    await expect(secret.versions()).resolves.toEqual({ current: KEY_B, previous: { value: KEY_A, replacedAt: T0 + 100_000 } });
    expect(calls('AWSCURRENT')).toBe(2);
  });

  it('fails the first read without caching the failure; after that, a failed refresh keeps the last value for a while', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'arn:key', VersionStage: 'AWSCURRENT' })
      .rejectsOnce(new Error('unreachable'))
      .resolvesOnce({ SecretString: KEY_A, CreatedDate: new Date(T0 - 86_400_000) })
      .rejectsOnce(new Error('unreachable'))
      .resolves({ SecretString: KEY_B, CreatedDate: new Date(T0 - 86_400_000) });
    const secret = rotated(createSecretStore(client()));
    await expect(secret.versions()).rejects.toThrow(/unreachable/);
    await expect(secret.versions()).resolves.toEqual({ current: KEY_A });
    after(SECRET_MAX_AGE_SECONDS + 1);
    await expect(secret.versions()).resolves.toEqual({ current: KEY_A }); // the refresh failed
    await expect(secret.versions()).resolves.toEqual({ current: KEY_A }); // no new attempt yet
    expect(calls('AWSCURRENT')).toBe(3);
    after(11);
    await expect(secret.versions()).resolves.toEqual({ current: KEY_B });
    expect(calls('AWSCURRENT')).toBe(4);
  });
});

describe('secrets from the environment', () => {
  it('JWT key from its ARN in AWS (previous key for the session lifetime plus the maximum age), JWT_SECRET elsewhere', async () => {
    const store = createSecretStore(client());
    const rotating = vi.spyOn(store, 'rotating');
    expect(typeof jwtSecretFromEnv({ JWT_SECRET_ARN: 'arn:x', JWT_SECRET: 'plain' }, 86_400, () => store)).toBe('object');
    expect(rotating).toHaveBeenCalledWith('arn:x', (86_400 + SECRET_MAX_AGE_SECONDS) * 1000);
    expect(jwtSecretFromEnv({ JWT_SECRET: 'plain' }, 86_400, () => store)).toBe('plain');
    expect(() => jwtSecretFromEnv({}, 86_400, () => store)).toThrow(/JWT_SECRET_ARN/);
    expect(originSecretFromEnv({}, () => store)).toBeUndefined();
    expect(originSecretFromEnv({ ORIGIN_SECRET_ARN: 'arn:o' }, () => store)).toBeDefined();
    expect(rotating).toHaveBeenLastCalledWith('arn:o', ORIGIN_SECRET_GRACE_SECONDS * 1000);
    expect(calls()).toBe(0); // nothing is read before it is needed
  });
});
