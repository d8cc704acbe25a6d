import { Socket } from 'node:net';
import pg from 'pg';

interface Lane {
  client?: pg.Client;
  socket?: Socket;
  ready?: Promise<pg.Client>;
  /** Statements sent on this lane that have not been answered yet. */
  inFlight: number;
  /** The lane's socket holds its writes until the event loop's check phase. */
  corked: boolean;
}

/**
 * A few long-lived connections on which single statements are pipelined (node-postgres's
 * pipeline mode): a statement is written at once, without waiting for the answers to those
 * before it, and PostgreSQL answers them in order. Statements started in the same turn of the
 * event loop leave in one write.
 *
 * Why: on a busy server every statement on a pooled connection costs a write that wakes a
 * sleeping backend and a read for its answer, and on a virtual machine those wake-ups cost more
 * than node-postgres's whole work on the statement. Pipelined, a backend that is still busy
 * finds the next statements already there, and answers arrive together: measured here, the
 * server's CPU per package read fell by about half (docs/BENCHMARKS.md).
 *
 * The cost is head-of-line blocking: a slow statement delays those sent behind it on its
 * connection (never past the statement timeout). A new statement goes to the connection with the
 * fewest in flight. Transactions never run here: they need a connection of their own.
 */
export class PipelinedConnections {
  private readonly lanes: Lane[];

  constructor(
    private readonly config: pg.ClientConfig,
    size: number,
  ) {
    this.lanes = Array.from({ length: size }, () => ({ inFlight: 0, corked: false }));
  }

  async query(statement: pg.QueryConfig): Promise<pg.QueryResult> {
    let lane = this.lanes[0]!;
    for (const candidate of this.lanes) if (candidate.inFlight < lane.inFlight) lane = candidate;
    lane.inFlight++;
    try {
      const client = await this.connected(lane);
      this.holdWrites(lane);
      return await client.query(statement);
    } finally {
      lane.inFlight--;
    }
  }

  /** Connections open now, and statements awaiting an answer on them. */
  stats(): { connections: number; inFlight: number } {
    return {
      connections: this.lanes.filter((l) => l.client).length,
      inFlight: this.lanes.reduce((sum, l) => sum + l.inFlight, 0),
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.lanes.map(async (lane) => {
        const client = lane.client;
        lane.client = lane.ready = lane.socket = undefined;
        await client?.end().catch(() => {});
      }),
    );
  }

  /**
   * The lane's connection, opened on first use and again after it broke. A broken connection
   * fails the statements in flight on it (node-postgres rejects each) and is never reused.
   */
  private connected(lane: Lane): Promise<pg.Client> {
    if (lane.ready) return lane.ready;
    const client = new pg.Client({
      ...this.config,
      pipeline: true,
      // The connection's socket, kept to hold its writes (holdWrites).
      stream: () => (lane.socket = new Socket()),
    });
    const discard = () => {
      if (lane.client !== client) return;
      lane.client = lane.ready = lane.socket = undefined;
      client.end().catch(() => {});
    };
    // An idle connection that breaks must not crash the process: the next statement reconnects.
    client.on('error', discard);
    client.on('end', discard);
    lane.client = client;
    lane.ready = client.connect().then(
      () => client,
      (err: unknown) => {
        discard();
        // node-postgres's client says only "timeout expired": say it as its pool does, so that it
        // reads as the same failure whichever way the statement went.
        throw err instanceof Error && err.message === 'timeout expired' ? new Error('Connection terminated due to connection timeout', { cause: err }) : err;
      },
    );
    return lane.ready;
  }

  /**
   * Writes made on the lane in this turn of the event loop (each statement's Bind, Describe,
   * Execute and Sync) wait for its check phase and leave together in one system call.
   */
  private holdWrites(lane: Lane): void {
    const socket = lane.socket;
    if (lane.corked || !socket) return;
    lane.corked = true;
    socket.cork();
    setImmediate(() => {
      lane.corked = false;
      socket.uncork();
    });
  }
}
