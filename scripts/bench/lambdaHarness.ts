import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RouteDefinition } from '../../shared/routes.js';
import { lambdaContext, toApiGatewayEvent } from '../local/apiGatewayEvent.js';

// One "Lambda container" of the Lambda view: bundled by esbuild into harness.mjs and run by plain
// node in a fresh process (no tsx). It imports nothing of the function's code before the timed
// import, then invokes the handler one request at a time, as Lambda does.

export interface HarnessRequest {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  pathParameters?: Record<string, string>;
}

export interface HarnessJob {
  /** The function's entry (bundled, with its chunks) and the bench dependency provider. */
  functionFile: string;
  depsFile: string;
  route: RouteDefinition;
  /** Cycled through, one invocation each; the first one is the cold invocation. */
  requests: HarnessRequest[];
  /** Warm invocations after the first. */
  invocations: number;
}

export interface HarnessResult {
  /** From process start to the harness's first line (node boot + harness load). */
  nodeStartMs: number;
  /** `import()` of the function module: Lambda's module initialisation (INIT). */
  importMs: number;
  /** The first invocation: builds the dependencies (pools, clients) and warms the code paths. */
  firstInvokeMs: number;
  firstStatus: number;
  warmMs: number[];
  statusCodes: Record<string, number>;
  /** The first few non-2xx answers (status and body start). */
  errorSamples: string[];
  rssMb: number;
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const nodeStartMs = performance.now();
const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as HarnessJob;

function event(r: HarnessRequest): { event: APIGatewayProxyEventV2; context: Context } {
  const headers: Record<string, string> = { host: 'api.rfh.local', 'user-agent': 'rfh-bench', ...r.headers };
  if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
  // What toApiGatewayEvent reads of a request: headers, method, HTTP version, source address.
  const req = { headers, method: r.method, httpVersion: '1.1', socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
  const url = new URL(`${r.path}${r.query ? `?${r.query}` : ''}`, 'http://api.rfh.local');
  const e = toApiGatewayEvent(req, url, job.route, r.pathParameters ?? {}, Buffer.from(r.body ?? ''));
  return { event: e, context: lambdaContext(job.route, e.requestContext.requestId) };
}

const t0 = performance.now();
const mod = (await import(pathToFileURL(job.functionFile).href)) as { handler: Handler };
const importMs = performance.now() - t0;

const { provideBenchDependencies } = (await import(pathToFileURL(job.depsFile).href)) as typeof import('./lambdaDeps.js');
const stores = provideBenchDependencies(process.env);

const statusCodes: Record<string, number> = {};
const errorSamples: string[] = [];
async function invoke(i: number): Promise<{ ms: number; status: number }> {
  const { event: e, context } = event(job.requests[i % job.requests.length]!);
  const t = performance.now();
  const result = await mod.handler(e, context);
  const ms = performance.now() - t;
  const status = result.statusCode ?? 200;
  statusCodes[status] = (statusCodes[status] ?? 0) + 1;
  if ((status < 200 || status > 299) && errorSamples.length < 3) errorSamples.push(`${status} ${String(result.body ?? '').slice(0, 200)}`);
  return { ms, status };
}

const first = await invoke(0);
const warmMs: number[] = [];
for (let i = 1; i <= job.invocations; i++) warmMs.push((await invoke(i)).ms);
await stores.close();

const result: HarnessResult = {
  nodeStartMs,
  importMs,
  firstInvokeMs: first.ms,
  firstStatus: first.status,
  warmMs,
  statusCodes,
  errorSamples,
  rssMb: Math.round(process.memoryUsage().rss / 1e5) / 10,
};
process.stdout.write(`\n${JSON.stringify(result)}\n`);
process.exit(0);
