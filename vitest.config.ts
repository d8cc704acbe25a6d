import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // 2 cores here: argon2 and PGlite are CPU-heavy, so two files at a time is the most useful.
    maxWorkers: 2,
    // Lambda runs nodejs22.x; the SDK's notice about Node 20 is noise here.
    // Request logs are asserted where they matter (test/http/observability.test.ts), not printed.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  },
});
