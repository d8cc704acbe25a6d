import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id; the package's const enum cannot be imported under verbatimModuleSyntax.
const ARGON2ID = 2;

/**
 * argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). Native (@node-rs/argon2):
 * it runs on libuv's thread pool, so hashing uses every core and never blocks the event loop.
 */
export const ARGON2_PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(storedHash: string, password: string): Promise<boolean>;
  /** Burns one verification's worth of CPU and returns false (an unknown user costs the same). */
  verifyNothing(password: string): Promise<false>;
}

export class Argon2PasswordHasher implements PasswordHasher {
  // Verified against when the user does not exist, so an unknown user costs the same time.
  private dummyHash: Promise<string> | undefined;

  async hash(password: string): Promise<string> {
    return hash(password, ARGON2_PARAMS);
  }

  async verify(storedHash: string, password: string): Promise<boolean> {
    try {
      return await verify(storedHash, password);
    } catch {
      return false;
    }
  }

  /** Burns one verification's worth of CPU and returns false. */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= this.hash('no-such-user-dummy-password');
    await this.verify(await this.dummyHash, password);
    return false;
  }
}
