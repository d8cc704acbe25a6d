/**
 * Real bundling, as `cdk synth` does it: local esbuild (no Docker), ESM for nodejs22.x on arm64.
 * Checks what a template cannot show: each function's bundle exists, loads as ESM, carries the
 * arm64 argon2 binary, stays small and never includes the local-only stores (PGlite, dynalite).
 * Prints each bundle's size and the module-initialisation time of the largest.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/bundling.js';
import { routes, type RouteDefinition } from '../../shared/routes.js';
import { synthesize, type Synthesized } from './support.js';

/** A bundle bigger than this has pulled in something it should not. */
const MAX_BUNDLE_BYTES = 3 * 1024 * 1024;
/** The functions that only read, and what each may weigh: code with node_modules, without source maps. */
const READ_FUNCTIONS = ['health', 'auth/profile', 'packages/get', 'packages/versions/get', 'packages/search', 'blobs/get'];
const MAX_READ_FUNCTION_BYTES = 700 * 1024;
const LOCAL_ONLY = ['@electric-sql/pglite', 'dynalite', 'scripts/local/', 'leveldown', 'memdown', 's3rver'];
const EM_AARCH64 = 0xb7;

let s: Synthesized;
let outdir: string;
let synthMs = 0;
interface Bundle {
  name: string;
  dir: string;
  code: number;
  map: number;
  total: number;
}
let bundles: Bundle[] = [];

function dirSize(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, e) => sum + (e.isDirectory() ? dirSize(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'rfh-bundle-'));
  const t0 = Date.now();
  s = synthesize({ env: 'dev' }, { bundle: true, outdir });
  synthMs = Date.now() - t0;
  const fns = [
    ...s.stack.apiFunctions.functions.map((f) => ({ name: f.route.handler, fn: f.fn })),
    { name: '(migrations)', fn: s.stack.migrations.fn },
    ...(s.stack.sideEffects ? [{ name: '(side-effect consumer)', fn: s.stack.sideEffects.consumer }] : []),
  ];
  bundles = fns.map(({ name, fn }) => {
    const id = s.stack.getLogicalId(fn.node.defaultChild as import('aws-cdk-lib').CfnElement);
    const key = (s.json.Resources[id]!.Properties as any).Code.S3Key as string;
    const dir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    return {
      name,
      dir,
      code: statSync(join(dir, 'index.mjs')).size,
      map: existsSync(join(dir, 'index.mjs.map')) ? statSync(join(dir, 'index.mjs.map')).size : 0,
      total: dirSize(dir),
    };
  });
  console.log(
    [
      `cdk synth with bundling (${bundles.length} functions): ${(synthMs / 1000).toFixed(1)} s`,
      ...bundles.map(
        (b) =>
          `${b.name.padEnd(26)} index.mjs ${kb(b.code).padStart(9)}  map ${kb(b.map).padStart(9)}  ` +
          `code with node_modules, without maps ${kb(b.total - b.map).padStart(9)}`,
      ),
    ].join('\n'),
  );
}, 600_000); // 47 functions bundled by esbuild one after another: minutes on a busy 2-core machine

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('Lambda bundles', () => {
  it('bundles every route and the migration function, and passes cdk-nag', () => {
    expect(bundles).toHaveLength(routes.length + 1 + (s.stack.sideEffects ? 1 : 0));
    expect(s.nagFindings).toEqual([]);
  });

  it('emits minified ESM with a require() for CommonJS dependencies, and a source map', () => {
    for (const b of bundles) {
      const code = readFileSync(join(b.dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __rfhCreateRequire } from 'node:module';"), b.name).toBe(true);
      expect(code, b.name).toMatch(/export\s*\{[^}]*as handler/);
      // Minified: long lines (newlines left are inside SQL and other template literals, which
      // fill the migrations' bundle: hundreds of characters a line there; unminified code has ~40).
      expect(code.length / code.split('\n').length, b.name).toBeGreaterThan(300);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      expect(b.code, `${b.name} is ${kb(b.code)}`).toBeLessThan(MAX_BUNDLE_BYTES);
    }
  });

  it('never carries the local-only stores', () => {
    for (const b of bundles) {
      const sources = (JSON.parse(readFileSync(join(b.dir, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
      for (const bad of LOCAL_ONLY) expect(sources.filter((x) => x.includes(bad)), `${b.name}: ${bad}`).toEqual([]);
      expect(existsSync(join(b.dir, 'node_modules', '@electric-sql'))).toBe(false);
    }
  });

  it('ships argon2 as the linux arm64 (glibc) binary and no other', () => {
    for (const b of bundles) {
      const code = readFileSync(join(b.dir, 'index.mjs'), 'utf8');
      if (!code.includes('@node-rs/argon2')) continue;
      const pkgs = readdirSync(join(b.dir, 'node_modules', '@node-rs'));
      expect(pkgs.sort(), b.name).toEqual(['argon2', 'argon2-linux-arm64-gnu']);
      const bin = readdirSync(join(b.dir, 'node_modules', '@node-rs', 'argon2-linux-arm64-gnu')).find((f) => f.endsWith('.node'))!;
      const elf = readFileSync(join(b.dir, 'node_modules', '@node-rs', 'argon2-linux-arm64-gnu', bin));
      expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(elf.readUInt16LE(18), `${b.name}: e_machine`).toBe(EM_AARCH64);
    }
    // The password routes and the migration function do hash.
    expect(bundles.filter((b) => existsSync(join(b.dir, 'node_modules'))).map((b) => b.name)).toEqual(
      expect.arrayContaining(['auth/login', 'auth/register', '(migrations)']),
    );
  });

  it("carries only the adapters its route uses: argon2 only where passwords are hashed, the S3 client only where archives are written, the light S3 reader only where they are read, a database driver only with postgres", () => {
    const sourcesOf = (b: Bundle) => (JSON.parse(readFileSync(join(b.dir, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
    for (const route of routes) {
      const b = bundles.find((x) => x.name === route.handler)!;
      const uses: readonly string[] = (route as RouteDefinition).uses ?? [];
      const sources = sourcesOf(b);
      const code = readFileSync(join(b.dir, 'index.mjs'), 'utf8');
      expect(code.includes('@node-rs/argon2'), `${b.name}: argon2`).toBe(uses.includes('passwords'));
      expect(existsSync(join(b.dir, 'node_modules')), `${b.name}: node_modules`).toBe(uses.includes('passwords'));
      expect(sources.some((x) => x.includes('@aws-sdk/client-s3')), `${b.name}: S3 client`).toBe(uses.includes('blobWrites'));
      expect(sources.some((x) => x.includes('@aws-sdk/s3-request-presigner')), `${b.name}: S3 presigner`).toBe(uses.includes('blobWrites'));
      expect(sources.some((x) => x.endsWith('shared/adapters/s3/S3BlobReader.ts')), `${b.name}: S3BlobReader`).toBe(uses.includes('blobs'));
      expect(sources.some((x) => x.includes('node_modules/pg/')), `${b.name}: pg`).toBe(uses.includes('postgres'));
      // dev synthesizes with the proxy: the Data API client is in no API function.
      expect(sources.some((x) => x.includes('@aws-sdk/client-rds-data')), `${b.name}: RDS Data API client`).toBe(false);
    }
  });

  it('keeps the functions that only read archives free of the S3 client, and every read function at most 700 KiB', () => {
    const sourcesOf = (b: Bundle) => (JSON.parse(readFileSync(join(b.dir, 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
    for (const name of ['health', 'blobs/get']) {
      const b = bundles.find((x) => x.name === name)!;
      expect(sourcesOf(b).filter((x) => x.includes('@aws-sdk/client-s3')), name).toEqual([]);
      expect(readFileSync(join(b.dir, 'index.mjs'), 'utf8'), name).not.toContain('@aws-sdk/client-s3');
    }
    for (const name of READ_FUNCTIONS) {
      const b = bundles.find((x) => x.name === name)!;
      expect(b, name).toBeDefined();
      expect(b.total - b.map, `${name} is ${kb(b.total - b.map)} of code with node_modules`).toBeLessThanOrEqual(MAX_READ_FUNCTION_BYTES);
    }
  });

  it('loads as an ES module: the largest bundle initialises (with the host argon2 swapped in)', () => {
    const largest = [...bundles].sort((a, b) => b.code - a.code)[0]!;
    const hostBinary = `@node-rs/argon2-${process.platform}-${process.arch}-gnu`;
    const require = createRequire(join(PROJECT_ROOT, 'package.json'));
    let hostDir: string;
    try {
      hostDir = dirname(require.resolve(`${hostBinary}/package.json`));
    } catch {
      console.log(`no ${hostBinary} on this machine: init time not measured`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'rfh-init-'));
    try {
      cpSync(largest.dir, dir, { recursive: true });
      if (existsSync(join(dir, 'node_modules', '@node-rs'))) cpSync(hostDir, join(dir, 'node_modules', hostBinary), { recursive: true });
      const script =
        "const t = process.hrtime.bigint(); const m = await import('./index.mjs'); " +
        'console.log(JSON.stringify({ ms: Number(process.hrtime.bigint() - t) / 1e6, handler: typeof m.handler }));';
      const runs = [0, 1, 2].map(() => {
        const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1' },
          encoding: 'utf8',
        });
        return JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number; handler: string };
      });
      for (const r of runs) expect(r.handler).toBe('function');
      const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
      console.log(
        `module init of the largest bundle (${largest.name}, ${kb(largest.code)}), node ${process.version} ${process.arch}, ` +
          `--enable-source-maps: min ${ms[0]!.toFixed(0)} ms of ${ms.map((m) => m.toFixed(0)).join(' / ')} ` +
          '(includes loading argon2; slower when other tests share the CPU)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
