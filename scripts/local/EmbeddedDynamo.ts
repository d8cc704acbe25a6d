import type { AddressInfo, Server } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** dynalite, an in-process DynamoDB emulator on LevelDB, on a free loopback port. Local only. */
export class EmbeddedDynamo {
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  /** path undefined: in memory. */
  static async start(path?: string): Promise<EmbeddedDynamo> {
    const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;
    const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new EmbeddedDynamo(server, `http://127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    // dynalite's close also closes its LevelDB, releasing the files for the next start.
    // Keep-alive sockets of SDK clients would hold the close open: end them.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    (this.server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    await closed;
  }
}
