import { performance } from 'node:perf_hooks';
import { Argon2PasswordHasher } from '../../shared/auth/PasswordHasher.js';

export interface HashBound {
  /** One argon2id verify on an otherwise idle machine (median of 20). */
  verifyMs: number;
  /** cores × 1000 / verifyMs: what the machine would do if every core hashed as fast as one alone. */
  idealPerSecond: number;
  /**
   * Verifies per second with one verify in flight per core, nothing else running: the physical
   * limit of logins per second. On these VMs it is 10–25% under the ideal figure (two argon2
   * passes over 19 MiB at once share caches and memory bandwidth), so it is what login
   * throughput is read against.
   */
  measuredPerSecond: number;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Measured in this process, on libuv's pool like the server's hashes (the pool has 4 threads by
 * default, so up to 4 cores are measured; more would need UV_THREADPOOL_SIZE set before start).
 */
export async function measureHashBound(cores: number, password: string): Promise<HashBound> {
  const hasher = new Argon2PasswordHasher();
  const stored = await hasher.hash(password);
  for (let i = 0; i < 3; i++) await hasher.verify(stored, password); // warm-up

  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await hasher.verify(stored, password);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const verifyMs = round(times[Math.floor(times.length / 2)]!);

  const total = 40 * cores;
  let started = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: cores }, async () => {
      while (started < total) {
        started++;
        await hasher.verify(stored, password);
      }
    }),
  );
  const measuredPerSecond = round((total * 1000) / (performance.now() - t), 1);
  return { verifyMs, idealPerSecond: round((cores * 1000) / verifyMs, 1), measuredPerSecond };
}
