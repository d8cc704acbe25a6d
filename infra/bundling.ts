import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { PORTS, type Port } from '../shared/runtime/ports.js';
import type { DataAccess } from './config.js';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LAMBDA_RUNTIME = Runtime.NODEJS_22_X;
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;
export const DEFAULT_TIMEOUT = Duration.seconds(10);

/**
 * Native packages cannot be bundled by esbuild: they stay external and are installed into the
 * bundle's node_modules for the Lambda platform (linux, arm64, glibc), whatever the build host.
 * Only bundles that import one get it.
 */
const NATIVE_MODULES = ['@node-rs/argon2'] as const;
const LAMBDA_PLATFORM = { os: 'linux', cpu: 'arm64', libc: 'glibc' } as const;

function installedVersion(pkg: string): string {
  const require = createRequire(join(PROJECT_ROOT, 'package.json'));
  const manifest = require.resolve(`${pkg}/package.json`);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Shell commands (run after esbuild, in the bundle's output directory) that add the native
 * packages for the Lambda platform. They are installed once per version into a cache under
 * node_modules/.cache and copied into each bundle that imports them; npm's own cache keeps
 * repeated installs offline.
 */
export function nativeModuleCommands(outputDir: string): string[] {
  return NATIVE_MODULES.map((pkg) => {
    const version = installedVersion(pkg);
    const cache = join(
      PROJECT_ROOT,
      'node_modules',
      '.cache',
      'rfh-lambda-native',
      `${pkg.replace('/', '+')}@${version}-${LAMBDA_PLATFORM.os}-${LAMBDA_PLATFORM.cpu}-${LAMBDA_PLATFORM.libc}`,
    );
    const install = [
      'npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts --prefer-offline',
      `--os=${LAMBDA_PLATFORM.os} --cpu=${LAMBDA_PLATFORM.cpu} --libc=${LAMBDA_PLATFORM.libc}`,
      `--prefix ${q(cache)} ${q(`${pkg}@${version}`)} 1>&2`,
    ].join(' ');
    // The napi-rs loader requires `<pkg>-linux-arm64-gnu`; fail the build if it is missing.
    const binary = `${pkg}-${LAMBDA_PLATFORM.os}-${LAMBDA_PLATFORM.cpu}-gnu`;
    const out = (...parts: string[]) => q(join(outputDir, ...parts));
    const ready = q(join(cache, '.complete'));
    return (
      `if grep -q ${q(pkg)} ${out('index.mjs')}; then ` +
      `{ [ -f ${ready} ] || { rm -rf ${q(cache)} && mkdir -p ${q(cache)} && ${install} && touch ${ready}; }; } && ` +
      `mkdir -p ${out('node_modules')} && cp -R ${q(join(cache, 'node_modules'))}/. ${out('node_modules')}/ && ` +
      `ls ${out('node_modules', binary)}/*.node >/dev/null; fi`
    );
  });
}

/**
 * Build-time constants that leave out of a function's bundle what its route does not use: each
 * optional port (shared/runtime/ports.ts) not in the route's `uses`, and the database driver the
 * stack does not use. shared/runtime/awsDependencies.ts tests these, and esbuild drops the dead
 * branches together with the modules they import.
 */
export function bundleDefines(uses: readonly Port[], dataAccess: DataAccess): Record<string, string> {
  const defines: Record<string, string> = {
    'process.env.RFH_BUNDLE_DATABASE_DRIVER': JSON.stringify(dataAccess === 'data-api' ? 'data-api' : 'pg'),
    // The stack records no X-Ray traces (shared/observability/telemetry.ts): the tracer and the
    // X-Ray SDK (about 115 KiB with the whole of semver it requires) stay out of every bundle.
    'process.env.RFH_BUNDLE_TRACING': JSON.stringify('without'),
  };
  for (const port of PORTS) {
    if (!uses.includes(port)) defines[`process.env.RFH_BUNDLE_${port.toUpperCase()}`] = JSON.stringify('without');
  }
  return defines;
}

/**
 * esbuild settings for every function: ESM for Node 22 on arm64, minified and tree-shaken
 * (bundle mode with `module` main fields), external source maps without sources, the AWS SDK
 * bundled (pinned to the lock file's versions, tree-shaken, faster to load than the runtime's
 * copy), local esbuild (no Docker).
 */
export function bundlingOptions(only?: { uses: readonly Port[]; dataAccess: DataAccess }): BundlingOptions {
  return {
    ...(only ? { define: bundleDefines(only.uses, only.dataAccess) } : {}),
    forceDockerBundling: false,
    logLevel: LogLevel.WARNING,
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    sourceMap: true,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    // ESM output still meets CommonJS dependencies that call require(): give them one.
    banner: "import { createRequire as __rfhCreateRequire } from 'node:module'; const require = __rfhCreateRequire(import.meta.url);",
    // pg-native is an optional peer of pg that is never loaded (pure-JS driver).
    externalModules: ['pg-native', ...NATIVE_MODULES],
    esbuildArgs: {
      '--legal-comments': 'none',
      '--tree-shaking': 'true',
      // Credentials come from the environment in Lambda: the SDK's full default chain is not needed.
      '--alias:@aws-sdk/credential-provider-node': './shared/runtime/lambdaCredentials.ts',
    },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir, outputDir) => nativeModuleCommands(outputDir),
    },
  };
}
