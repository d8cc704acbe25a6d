import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

/**
 * PGlite runs initdb whenever it starts on an empty data directory, and that is most of its start
 * (seconds on this machine, against well under one to load a cluster). The blank cluster initdb
 * makes is therefore dumped once per PGlite version, kept in the temporary directory, and loaded
 * by every new database: tests open dozens of them. Nothing is in it but what initdb makes.
 */
function pgliteVersion(): string {
  // The package exports no package.json: found from its entry point.
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === '@electric-sql/pglite' && manifest.version) return manifest.version;
    } catch {
      // not here: one level up
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
const version = pgliteVersion();
const cacheFile = join(tmpdir(), `rfh-pglite-blank-cluster-${version}.tar`);

let blank: Promise<Blob> | undefined;

function blankCluster(): Promise<Blob> {
  blank ??= (async () => {
    try {
      return new Blob([await readFile(cacheFile)]);
    } catch {
      const pg = await PGlite.create();
      const dump = await pg.dumpDataDir('none');
      await pg.close();
      // Written aside and renamed: a concurrent reader sees the whole file or none.
      const partial = `${cacheFile}.${process.pid}.partial`;
      await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
      await rename(partial, cacheFile);
      return dump;
    }
  })();
  return blank;
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch {
    return true;
  }
}

/**
 * A PGlite database with pg_trgm (it backs package search), in memory or in `dataDir`. A new
 * database starts from the blank cluster; an existing data directory is opened as it is.
 */
export async function createPglite(dataDir?: string): Promise<PGlite> {
  const options: PGliteOptions = { ...(dataDir ? { dataDir } : {}), extensions: { pg_trgm } };
  if (dataDir && !(await isEmptyDir(dataDir))) return PGlite.create(options);
  if (dataDir) await mkdir(dataDir, { recursive: true });
  try {
    return await PGlite.create({ ...options, loadDataDir: await blankCluster() });
  } catch {
    // A damaged cache: start without it (initdb), and make it again next time.
    blank = undefined;
    await rm(cacheFile, { force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true }).then(() => mkdir(dataDir, { recursive: true }));
    return PGlite.create(options);
  }
}
