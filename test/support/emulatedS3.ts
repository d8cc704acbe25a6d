import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../shared/adapters/s3/S3BlobStore.js';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => S3rverInstance;

/** s3rver on a free loopback port with one bucket, for tests that need S3 behind the API. */
export async function startEmulatedS3(bucket: string): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rfh-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  const { port } = await server.run();
  const client = createS3Client({ S3_ENDPOINT: `http://127.0.0.1:${port}` });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    port,
    async stop() {
      const closed = server.close();
      server.httpServer?.closeAllConnections();
      await closed;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
