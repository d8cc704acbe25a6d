import { defineConfig } from 'vitest/config';

/**
 * The slow tier: CDK synthesis (with real esbuild bundling of every function in bundle.test.ts),
 * store outages and deadlines with real waits, the fuzz run over every route, and the tests that
 * start `npm start` or `npm run reprocess` in processes of their own.
 */
const SLOW = [
  'test/infra/bundle.test.ts',
  'test/infra/stack.test.ts',
  'test/infra/environments.test.ts',
  'test/infra/webAcl.test.ts',
  'test/faults/**/*.test.ts',
  'test/unit/storeDeadlines.test.ts',
  'test/http/fuzz.test.ts',
  'test/http/localServer.test.ts',
  'test/integration/reprocessCommand.test.ts',
];

/**
 * The browser tier: the web catalogue in Chromium. Part of `npm test`, where it skips with one line
 * on a machine without /usr/bin/chromium; CI installs chromium and sets RFH_REQUIRE_CHROMIUM=1,
 * which turns that skip into a failure.
 */
const BROWSER = ['test/browser/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // 2 cores here: argon2 and PGlite are CPU-heavy, so two files at a time is the most useful.
    maxWorkers: 2,
    // Lambda runs nodejs22.x; the SDK's notice about Node 20 is noise here.
    // Request logs are asserted where they matter (test/http/observability.test.ts), not printed.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    coverage: { provider: 'v8', include: ['shared/**', 'functions/**'], reporter: ['text-summary', 'html'] },
    projects: [
      // `npm test`: unit, HTTP against the real local server, integration on the real stores, e2e.
      { extends: true, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: [...SLOW, ...BROWSER] } },
      { extends: true, test: { name: 'browser', include: BROWSER } },
      // `npm run test:slow` (CI runs both).
      { extends: true, test: { name: 'slow', include: SLOW } },
    ],
  },
});
