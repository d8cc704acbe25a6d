/**
 * A secret that can be rotated while functions run: the JWT signing key, the CDN's origin secret.
 * Readers re-read it after a maximum age, so for a while after a rotation some containers still
 * use the value it replaced; the previous value is therefore offered alongside the current one
 * for as long as the reader's window for that secret lasts (see shared/runtime/awsSecrets.ts).
 */
export interface SecretVersions {
  current: string;
  /** The value the current one replaced and when (ms since the epoch), while it is still accepted. */
  previous?: { value: string; replacedAt: number };
}

export interface RotatingSecret {
  versions(): Promise<SecretVersions>;
  /** How long a reader may go on using a value after it was replaced (its cache's maximum age). */
  readonly staleMs: number;
}

/** A secret that never rotates in this process (local runs, tests, the bench). */
export function fixedSecret(value: string): RotatingSecret {
  const versions = Promise.resolve({ current: value });
  return { versions: () => versions, staleMs: 0 };
}

/** The values a check may accept: the current one first, then the previous one in its window. */
export function acceptedValues(versions: SecretVersions): readonly string[] {
  return versions.previous ? [versions.current, versions.previous.value] : [versions.current];
}
