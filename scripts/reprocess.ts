import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PgPublishedVersions } from '../shared/adapters/postgres/PgPublishedVersions.js';
import { PgVersionFileIndex } from '../shared/adapters/postgres/PgVersionFileIndex.js';
import { PgVersionSafetyStore } from '../shared/adapters/postgres/PgVersionSafetyStore.js';
import { migrate } from '../shared/db/migrate.js';
import { contentIndexStep, progressLine, reprocess, ruleSafetyStep, type ReprocessProgress } from '../shared/packages/reprocess.js';
import { openLocalBlobStore, openLocalDatabase } from './local/localRuntime.js';

// `npm run reprocess [-- --only-missing]`: walks every published version and rebuilds what is
// derived from its archive (the content search's index of its files, and the rule scanner's
// findings of versions not scanned by the current scanner), on the stores
// `npm start` would use (DATABASE_URL or the embedded database, BLOBS_BUCKET or the blob folder
// under RFH_DATA_DIR). Safe to run again, and beside a running server on PostgreSQL; the embedded
// database belongs to one process, so stop `npm start` first when it uses that.

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = 'usage: npm run reprocess [-- --only-missing] [--all] [--batch-size=N]';
const MAX_LISTED = 50;

function options() {
  try {
    const { values } = parseArgs({
      options: {
        'only-missing': { type: 'boolean', default: false },
        // The rule scanner's findings are rewritten only for versions the current scanner has not
        // scanned; --all scans every version again (findings written only where they differ).
        all: { type: 'boolean', default: false },
        'batch-size': { type: 'string', default: '200' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const batchSize = Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) throw new Error('--batch-size must be a whole number from 1 to 5000');
    if (values.all && values['only-missing']) throw new Error('--all and --only-missing exclude each other');
    return { onlyMissing: values['only-missing'], all: values.all, batchSize, help: values.help };
  } catch (error) {
    console.error(`reprocess: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

function report(done: Readonly<ReprocessProgress>): void {
  const listed = (what: string, lines: string[]) => {
    if (lines.length === 0) return;
    console.log(`${what}:`);
    for (const line of lines.slice(0, MAX_LISTED)) console.log(`  ${line}`);
    if (lines.length > MAX_LISTED) console.log(`  ... and ${lines.length - MAX_LISTED} more`);
  };
  listed('archive missing', done.missing.map((v) => `${v.name}@${v.version} (sha256 ${v.sha256})`));
  listed('archive unreadable', done.unreadable.map((v) => `${v.name}@${v.version} (sha256 ${v.sha256}): ${v.problem}`));
}

const { onlyMissing, all, batchSize, help } = options();
if (help) {
  console.log(USAGE);
  process.exit(0);
}
const dataDir = resolve(process.env.RFH_DATA_DIR ?? '.data');
const database = await openLocalDatabase(process.env, dataDir);
const blobs = await openLocalBlobStore(process.env, dataDir);
let exitCode = 0;
try {
  console.log(`reprocess: postgres ${database.description}, blobs ${blobs.description}${onlyMissing ? ', only versions not yet processed' : ''}`);
  await migrate(database.store);
  const done = await reprocess(
    { versions: new PgPublishedVersions(database.store), blobs: blobs.store },
    {
      steps: [contentIndexStep(new PgVersionFileIndex(database.store)), ruleSafetyStep(new PgVersionSafetyStore(database.store), { all })],
      onlyMissing,
      batchSize,
      onProgress: (p) => console.log(progressLine(p)),
    },
  );
  if (done.visited === 0) console.log(progressLine(done));
  report(done);
  console.log('reprocess: done');
} catch (error) {
  // Each version is written in one transaction: what was done is kept, and a re-run finishes the rest.
  console.error(`reprocess: stopped: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause instanceof Error) console.error(`  cause: ${error.cause.message}`);
  exitCode = 1;
} finally {
  await blobs.close();
  await database.close();
}
process.exit(exitCode);
