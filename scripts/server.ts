import { resolve } from 'node:path';
import { batchStandardOutput } from './local/batchedStandardOutput.js';
import { startLocalServer } from './local/LocalServer.js';

// Lambda runs nodejs22.x; the SDK's notice that it will drop Node 20 is noise on a laptop.
// (Read when the first client is built, after these imports.)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `npm start`: the API on this machine, on embedded stores unless DATABASE_URL /
// DYNAMODB_ENDPOINT point elsewhere. See README.md for the environment variables.
batchStandardOutput();

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const dataDir = resolve(process.env.RFH_DATA_DIR ?? '.data');

const server = await startLocalServer({ port, host, dataDir });
console.log(`RuleStack registry API listening on ${server.url}`);
console.log(`  postgres: ${server.runtime.stores.postgres}`);
console.log(`  dynamodb: ${server.runtime.stores.dynamodb}`);
console.log(`  blobs:    ${server.runtime.stores.blobs}`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) {
    console.log('Forced exit');
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal} received, shutting down`);
  await server.close();
  console.log('Stopped cleanly');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
