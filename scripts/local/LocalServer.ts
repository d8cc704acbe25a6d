import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ApiError } from '../../shared/errors.js';
import { preflightHeaders } from '../../shared/http/cors.js';
import { describeError } from '../../shared/http/errorResponse.js';
import { errorPageResponse } from '../../shared/web/definePage.js';
import { SECURITY_HEADERS } from '../../shared/http/securityHeaders.js';
import { routes, type RouteDefinition } from '../../shared/routes.js';
import { lambdaContext, NO_BYTES, toApiGatewayEvent, writeResult } from './apiGatewayEvent.js';
import { openLocalRuntime, type LocalRuntime } from './localRuntime.js';
import { RouteMatcher } from './routeMatcher.js';

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalServerOptions {
  env?: NodeJS.ProcessEnv;
  dataDir?: string;
  port?: number;
  host?: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  runtime: LocalRuntime;
  close(): Promise<void>;
}

/** Loads every route's entry file from functions/, exactly the module Lambda would run. */
async function loadHandlers(): Promise<Map<RouteDefinition, LambdaHandler>> {
  const handlers = new Map<RouteDefinition, LambdaHandler>();
  for (const route of routes) {
    const mod = (await import(new URL(`../../functions/${route.handler}.ts`, import.meta.url).href)) as { handler?: LambdaHandler };
    if (typeof mod.handler !== 'function') throw new Error(`functions/${route.handler}.ts exports no handler`);
    handlers.set(route, mod.handler);
  }
  return handlers;
}

/**
 * How much of a body over its limit is read and thrown away before the 413 is sent. A client is
 * usually still sending when the body turns out too large; answering and closing under it makes
 * its kernel see a reset (or a broken pipe) and lose the answer, so the rest is drained first and
 * the connection stays usable. Past this much the answer goes out at once and the connection is
 * closed; the server's request timeout bounds a slow sender.
 */
export const DISCARD_MAX_BYTES = 64 * 1024 * 1024;

/** Reads and drops the rest of a request body; resolves when it ended or was too much to drain. */
function discardBody(req: IncomingMessage, alreadyRead: number): Promise<'drained' | 'cut'> {
  return new Promise((resolve) => {
    let discarded = alreadyRead;
    req.removeAllListeners('data');
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DISCARD_MAX_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        resolve('cut');
      }
    });
    req.once('end', () => resolve('drained'));
    req.once('error', () => resolve('cut'));
    req.resume();
  });
}

class BodyTooLarge extends ApiError {
  constructor(
    limit: number,
    /** The connection must close after the answer: the rest of the body was not read. */
    readonly closeConnection: boolean,
  ) {
    super(413, `Request body too large: the limit for this endpoint is ${limit} bytes`);
  }
}

/** Reads the body up to `limit` bytes; beyond it, drains the rest (up to a cap) and throws 413. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let size = 0;
    let overLimit = false;
    const tooLarge = () => {
      overLimit = true;
      void discardBody(req, size).then((outcome) => reject(new BodyTooLarge(limit, outcome === 'cut')));
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > DISCARD_MAX_BYTES) return reject(new BodyTooLarge(limit, true));
    if (Number.isFinite(declared) && declared > limit) return tooLarge();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return tooLarge();
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!overLimit) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/**
 * Whether a request carries a body: without Content-Length or Transfer-Encoding it has none
 * (RFC 9112, 6.3), and nothing is waited for. Node drains what no one read when the answer ends.
 */
const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * An error the server answers itself, before any handler (an unknown path, a body over the
 * route's limit, overload): as the API's JSON under /v1/, as a page elsewhere, as the route's own
 * handler would have answered it.
 */
function sendError(res: ServerResponse, err: unknown, extraHeaders: Record<string, string> = {}): void {
  const rawPath = new URL(res.req.url ?? '/', 'http://localhost').pathname;
  const result = errorPageResponse(describeError(err), { rawPath });
  result.headers = { ...SECURITY_HEADERS, ...result.headers, ...extraHeaders };
  writeResult(res, result);
}

/**
 * The local stand-in for API Gateway: turns each HTTP request into a payload-v2 event, invokes
 * the same handler Lambda runs, and writes its result back. Every route of shared/routes.ts.
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((l: string) => console.log(l));
  const runtime = await openLocalRuntime({ env, dataDir: options.dataDir, log });
  const handlers = await loadHandlers();
  const matcher = new RouteMatcher();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    let match;
    try {
      match = matcher.match(method === 'OPTIONS' ? 'GET' : method, url.pathname);
    } catch {
      return sendError(res, new ApiError(400, 'Malformed URL encoding in path'));
    }
    if (method === 'OPTIONS') {
      if (match.kind === 'not-found') return sendError(res, new ApiError(404, 'Not found'));
      res.writeHead(204, { ...SECURITY_HEADERS, ...preflightHeaders(req.headers.origin) });
      return void res.end();
    }
    if (match.kind === 'not-found') return sendError(res, new ApiError(404, `No endpoint ${method} ${url.pathname}`));
    if (match.kind === 'method-not-allowed') {
      return sendError(res, new ApiError(405, `Method ${method} is not allowed here`), { Allow: match.allowed.join(', ') });
    }
    const body = hasBody(req) ? await readBody(req, match.route.maxBodyBytes) : NO_BYTES;
    const event = toApiGatewayEvent(req, url, match.route, match.params, body);
    const context = { ...lambdaContext(match.route, event.requestContext.requestId), dependencies: runtime.deps };
    const result = await handlers.get(match.route)!(event, context);
    writeResult(res, result);
  }

  // Backpressure: beyond this many requests in flight, answer 503 at once rather than queueing
  // without bound (the stores' own bulkheads bound the calls behind these).
  const maxInFlight = Number(env.RFH_MAX_IN_FLIGHT ?? 2048);
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    if (inFlight >= maxInFlight) {
      sendError(res, new ApiError(503, 'The server is busy, please retry shortly', { 'Retry-After': '1' }), { Connection: 'close' });
      return;
    }
    inFlight++;
    res.on('close', () => inFlight--);
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, err, err instanceof BodyTooLarge && err.closeConnection ? { Connection: 'close' } : {});
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  // Slow clients cannot hold connections forever (slowloris): headers within 10 s, the whole
  // request within 60 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    runtime,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), 5000);
        await closed;
        clearTimeout(force);
        await runtime.close();
      })()),
  };
}
