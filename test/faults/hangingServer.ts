import { createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A store that hangs: a loopback TCP server that accepts every connection, reads what it is sent
 * and never answers. With `postgresHandshake`, it first completes a PostgreSQL startup (trust
 * authentication, ready for query) and then goes silent, like a database that stops answering
 * on an open connection.
 */
export async function startHangingServer(options: { postgresHandshake?: boolean } = {}) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let answered = false;
    socket.on('data', () => {
      if (!options.postgresHandshake || answered) return; // read and drop
      answered = true;
      // AuthenticationOk ('R', int32 8, int32 0), then ReadyForQuery ('Z', int32 5, 'I').
      socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0, 0x5a, 0, 0, 0, 5, 0x49]));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    /** Connections accepted so far. */
    get connections() {
      return connections;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
