import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole' | 'stall';

interface Link {
  client: Socket;
  upstream: Socket;
}

/**
 * A TCP proxy in front of a store, for fault injection on this machine:
 * - `pass` forwards;
 * - `refuse` resets every connection (the store is down);
 * - `blackhole` cuts the open connections, then accepts new ones and never answers (the store
 *   hangs from the first byte: connecting, or the protocol's handshake, never finishes);
 * - `stall` keeps the open connections but nothing passes on them any more, and accepts new ones
 *   without ever answering (the store stops answering mid-conversation: pooled connections and
 *   keep-alive sockets hang on their next request).
 * Switching to any mode but `stall` cuts the connections already open, as an outage would; leaving
 * `stall` cuts them too, since what they carried was lost half-way.
 */
export class ControllableTcpProxy {
  private mode: ProxyMode = 'pass';
  private readonly sockets = new Set<Socket>();
  private readonly links = new Set<Link>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<ControllableTcpProxy> {
    // Assigned once, after the server whose callback needs the binding exists.
    // eslint-disable-next-line prefer-const
    let proxy!: ControllableTcpProxy;
    const server = createServer((client) => proxy.accept(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new ControllableTcpProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    this.track(client);
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'blackhole' || this.mode === 'stall') {
      client.on('data', () => {}); // read and drop
      return;
    }
    const upstream = createConnection(target);
    this.track(upstream);
    const link = { client, upstream };
    this.links.add(link);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => {
      this.links.delete(link);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'stall') {
      // Stop forwarding on every open connection, in both directions, without closing it.
      for (const { client, upstream } of this.links) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
      return;
    }
    for (const s of this.sockets) s.resetAndDestroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
