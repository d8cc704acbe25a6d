import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // 2 cores here: argon2 and PGlite are CPU-heavy, so two files at a time is the most useful.
    maxWorkers: 2,
  },
});
