import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a fault rule sees of one DynamoDB call: the operation (`UpdateItem`) and the JSON body. */
export type DynamoCall = { operation: string; body: string };

/**
 * An HTTP proxy in front of a DynamoDB endpoint (dynalite) that fails chosen calls the way
 * DynamoDB fails them (500 InternalServerError, which the SDK and the guards retry and then give
 * up on), and forwards everything else. Finer than a TCP cut: writes can fail while reads still
 * work, which is how a dual write gets stranded after its SQL half committed.
 */
export class DynamoFaults {
  private rule: ((call: DynamoCall) => boolean) | undefined;
  /** Calls failed so far. */
  failed = 0;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(target: string): Promise<DynamoFaults> {
    const upstream = new URL(target);
    // Assigned once, after the server whose callback needs the binding exists.
    // eslint-disable-next-line prefer-const
    let proxy!: DynamoFaults;
    const server = createServer((req, res) => {
      void readAll(req).then((body) => {
        const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
        if (proxy.rule?.({ operation, body: body.toString('utf8') })) {
          proxy.failed++;
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Injected fault' }));
          return;
        }
        const out = request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('error', () => res.destroy());
        out.end(body);
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new DynamoFaults(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Fails every call the rule matches until `heal()`. */
  fail(rule: (call: DynamoCall) => boolean): void {
    this.rule = rule;
  }

  heal(): void {
    this.rule = undefined;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Every write DynamoDB takes: what a revocation needs, while reads (authentication) still work. */
export const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
