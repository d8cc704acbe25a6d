import { timingSafeEqual } from 'node:crypto';
import middy, { type MiddlewareObj } from '@middy/core';
import httpCors from '@middy/http-cors';
import type * as z from 'zod/mini';
import type { Principal } from '../auth/Principal.js';
import { acceptedValues } from '../auth/rotatingSecret.js';
import type { LoginOrigin } from '../auth/startSession.js';
import { ApiError, badRequest, forbidden, payloadTooLarge, tooManyRequests, unauthorized } from '../errors.js';
import { roleAtLeast } from '../auth/roles.js';
import { findRoute, routeKey, type BodyOf, type QueryOf, type RouteDefinition, type RouteKey } from '../routes.js';
import { dependencies, type Dependencies } from '../runtime/Dependencies.js';
import { restrictTo } from '../runtime/ports.js';
import { authenticate, bearerToken, optionalBearerToken } from './authenticate.js';
import { allowedOrigins, CORS_POLICY } from './cors.js';
import { describeError, errorToResponse, jsonResponse, type ErrorAnswer } from './errorResponse.js';
import { RateLimiter } from './RateLimiter.js';
import { securityHeaders } from './securityHeaders.js';
import type { ApiContext, HandlerResult, HttpEvent, HttpResponse } from './types.js';
import { ANY_CONTROL, CONTROL_CHARACTER_MESSAGE, parseWith } from '../validation.js';
import { newScope, RETRY_BUDGET_PER_REQUEST, runInRequestScope, type RequestScope } from '../resilience/requestScope.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricsRegistry } from '../observability/MetricsRegistry.js';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { inLambda, logger, metrics, tracer } from '../observability/telemetry.js';

export interface HandlerInput<B, Q> {
  body: B;
  /** The request body as bytes (for routes that take a raw body). */
  rawBody: Buffer;
  query: Q;
  /** The caller; null only on public routes called without a valid token. */
  principal: Principal | null;
  deps: Dependencies;
  event: HttpEvent;
  /** Path parameters, already URL-decoded by API Gateway. */
  params: Record<string, string>;
  /** The caller's address: the viewer's behind this stack's CDN, else the connection's. */
  sourceIp: string;
  /** The caller's address (as the rate limits see it) and user agent, e.g. to record on a login. */
  origin: LoginOrigin;
}

export interface HandlerSpec<K extends RouteKey> {
  /** The route table entry this handler serves: its schemas, limits and access apply. */
  route: K;
  handle(input: HandlerInput<BodyOf<K>, QueryOf<K>>): Promise<HandlerResult>;
  /**
   * How this route answers an error, when not as the API's JSON (`{"error"}`): the web pages
   * answer with a page. Given the error's meaning and the request.
   */
  renderError?: (error: ErrorAnswer, event: HttpEvent) => HttpResponse;
}

const rateLimiter = new RateLimiter();

/**
 * CloudWatch embedded metrics for one invocation (a Lambda container runs one at a time);
 * Powertools' logMetrics middleware publishes them, with the cold-start metric, when it ends.
 */
function addRequestMetrics(route: string, status: number, latencyMs: number, scope: RequestScope): void {
  metrics.addDimension('route', route);
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  metrics.addMetric(status >= 500 ? 'ServerErrors' : status >= 400 ? 'ClientErrors' : 'Successes', MetricUnit.Count, 1);
  metrics.addMetric('Latency', MetricUnit.Milliseconds, latencyMs);
  metrics.addMetric('PostgresCalls', MetricUnit.Count, scope.storeCalls.postgres);
  metrics.addMetric('DynamoDbCalls', MetricUnit.Count, scope.storeCalls.dynamodb);
  metrics.addMetric('BlobCalls', MetricUnit.Count, scope.storeCalls.blobs);
  metrics.addMetric('Retries', MetricUnit.Count, scope.retries);
}

/** Time kept back from the Lambda timeout to answer in an orderly way. */
const DEADLINE_MARGIN_MS = 300;

/** The caller of an authenticated route (the stack guarantees one there). */
export function signedIn(input: { principal: Principal | null }): Principal {
  if (!input.principal) throw unauthorized();
  return input.principal;
}

/** The body of a request without one (no byte of it can be written). */
const NO_BODY = Buffer.alloc(0);

function decodeBody(event: HttpEvent): Buffer {
  if (!event.body) return NO_BODY;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

function header(event: HttpEvent, name: string): string | undefined {
  return event.headers?.[name] ?? event.headers?.[name.toLowerCase()];
}

/**
 * The header CloudFront adds to every request it sends to the API, with a secret that only the
 * distribution and the functions know (CloudFront overwrites a viewer's header of the same name).
 */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/**
 * Whether the request provably came through this stack's CloudFront: it carries the origin
 * secret, or during a rotation's grace period one of the values accepted (current first).
 */
export function cameThroughCdn(event: HttpEvent, originSecret: string | readonly string[]): boolean {
  const given = header(event, ORIGIN_VERIFY_HEADER);
  if (given === undefined) return false;
  const a = Buffer.from(given);
  return (typeof originSecret === 'string' ? [originSecret] : originSecret).some((secret) => {
    const b = Buffer.from(secret);
    return a.length === b.length && timingSafeEqual(a, b);
  });
}

/**
 * The client's address, for per-client limits, sessions and the audit log. Behind CloudFront,
 * API Gateway sees CloudFront's address, so CloudFront's viewer-address header (`ip:port`, IPv6
 * in brackets or bare) is used, but only on requests that carry the origin secret: anyone can
 * send that header, so without proof of the CDN (and always in `npm start`) it is ignored.
 */
export function clientAddress(event: HttpEvent, originSecret?: string | readonly string[]): string {
  const viewer = originSecret && cameThroughCdn(event, originSecret) ? header(event, 'cloudfront-viewer-address') : undefined;
  if (viewer) {
    const ip = viewer.trim().replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (ip.length > 0 && ip.length <= 45 && /^[0-9a-fA-F:.]+$/.test(ip)) return ip;
  }
  return event.requestContext.http.sourceIp;
}

/** Reads dependencies and enforces the route table: size limit, rate limit, authentication, role. */
function routeGuard(route: RouteDefinition): MiddlewareObj<HttpEvent, HttpResponse, Error, ApiContext> {
  const uses = route.uses ?? [];
  const owner = `functions/${route.handler}.ts`;
  // The dependencies live as long as the process: their view for this route is made once.
  const restricted = new WeakMap<Dependencies, Dependencies>();
  const restrict = (all: Dependencies) => {
    let view = restricted.get(all);
    if (!view) restricted.set(all, (view = restrictTo(all, uses, owner)));
    return view;
  };
  return {
    before: async (request) => {
      const deps = restrict(request.context.dependencies ?? (await dependencies(uses)));
      const event = request.event;
      const originSecrets = deps.originSecret ? acceptedValues(await deps.originSecret.versions()) : undefined;
      request.context.rfh = {
        route,
        deps,
        principal: null,
        body: undefined,
        query: undefined,
        rawBody: NO_BODY,
        clientAddress: clientAddress(event, originSecrets),
      };
      // Where the stack has a CDN, the API answers only what came through it: calling API
      // Gateway directly would skip the CDN's web ACL and forge the viewer's address.
      if (originSecrets && !cameThroughCdn(event, originSecrets)) {
        throw forbidden("Requests must go through the registry's public URL");
      }

      const declared = Number(header(event, 'content-length') ?? NaN);
      const size = event.body ? (event.isBase64Encoded ? Math.floor((event.body.length * 3) / 4) : Buffer.byteLength(event.body)) : 0;
      if (size > route.maxBodyBytes || (Number.isFinite(declared) && declared > route.maxBodyBytes)) {
        throw payloadTooLarge(
          route.maxBodyBytes === 0
            ? 'This endpoint takes no request body'
            : `Request body too large: the limit for this endpoint is ${route.maxBodyBytes} bytes`,
        );
      }

      if (deps.config.rateLimitEnabled) {
        const wait = rateLimiter.hit(`${route.method} ${route.path} ${request.context.rfh.clientAddress}`, route.rateLimitPerMinute);
        if (wait > 0) throw tooManyRequests('Too many requests, slow down', wait);
      }

      if (route.access !== 'public') {
        const token = bearerToken(event);
        if (!token) throw unauthorized('Authentication required');
        const principal = await authenticate(deps, token);
        if (!roleAtLeast(principal.role, route.access)) throw forbidden('Insufficient permissions');
        request.context.rfh.principal = principal;
      } else if (route.identifyCaller) {
        // The rfh client sends its stored token everywhere, stale or not: on a public route a
        // dead token (or an Authorization header that is no bearer token at all) just means an
        // anonymous caller. Public routes that never identify callers do not read the header.
        const token = optionalBearerToken(event);
        if (token) request.context.rfh.principal = await authenticate(deps, token).catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 401) return null;
          throw err;
        });
      }
      const viaToken = request.context.rfh.principal?.apiToken;
      if (viaToken) {
        // API tokens only read and publish packages, each route with the scope it names. On other
        // public routes a token is simply not a sign-in.
        if (!route.apiTokens) {
          if (route.access !== 'public') throw forbidden('API tokens can only read and publish packages; sign in for this');
          request.context.rfh.principal = null;
        } else {
          if (route.apiTokens === 'publish' && !viaToken.scopes.includes('publish')) throw forbidden('This API token has no publish scope');
          deps.sideEffects.enqueue({ kind: 'token-used', tokenId: viaToken.id, at: Date.now() });
        }
      }
    },
  };
}

function parseInput(body?: z.ZodMiniType, query?: z.ZodMiniType): MiddlewareObj<HttpEvent, HttpResponse, Error, ApiContext> {
  return {
    before: (request) => {
      const { event } = request;
      // Path parameters name things (packages, users, registries): no control character belongs in one.
      for (const name in event.pathParameters) {
        const value = event.pathParameters[name];
        if (value !== undefined && ANY_CONTROL.test(value)) throw badRequest(`Invalid path parameter ${name}: ${CONTROL_CHARACTER_MESSAGE}`);
      }
      const raw = decodeBody(event);
      request.context.rfh.rawBody = raw;
      if (body) {
        const type = header(event, 'content-type');
        if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
          throw new ApiError(415, 'Content-Type must be application/json');
        }
        let parsed: unknown;
        try {
          parsed = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ApiError(400, 'Request body is not valid JSON');
        }
        if (parsed === undefined || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          throw new ApiError(400, 'Request body must be a JSON object');
        }
        request.context.rfh.body = parseWith(body, parsed, 'body');
      }
      if (query) request.context.rfh.query = parseWith(query, event.queryStringParameters ?? {}, 'query');
    },
  };
}

/** Maps errors to responses once, for every handler. */
const errorMapping = (render?: HandlerSpec<RouteKey>['renderError']): MiddlewareObj<HttpEvent, HttpResponse, Error, ApiContext> => ({
  onError: (request) => {
    request.response = render
      ? render(describeError(request.error, request.context.awsRequestId), request.event)
      : errorToResponse(request.error, request.context.awsRequestId);
  },
});

function toResponse(result: HandlerResult): HttpResponse {
  if (result.empty) return { statusCode: result.status, headers: { ...result.headers } };
  if (result.html !== undefined) {
    return { statusCode: result.status, headers: { 'Content-Type': 'text/html; charset=utf-8', ...result.headers }, body: result.html };
  }
  if (result.bytes) {
    return {
      statusCode: result.status,
      headers: { 'Content-Type': 'application/octet-stream', ...result.headers },
      body: Buffer.from(result.bytes).toString('base64'),
      isBase64Encoded: true,
    };
  }
  return jsonResponse(result.status, result.body ?? {}, result.headers);
}

/**
 * Builds a Lambda handler for one route of the table with the shared middleware stack:
 * CORS, security headers, error mapping, size and rate limits, authentication and role checks
 * from the route table, JSON parsing and schema validation. The handler itself only calls a use
 * case and shapes the result.
 */
export function defineHandler<K extends RouteKey>(spec: HandlerSpec<K>) {
  const route = findRoute(spec.route);
  const stack = middy<HttpEvent, HttpResponse, Error, ApiContext>({
    // The handler must answer before Lambda kills it: a clear 503 instead of a hung request.
    // Work still running then completes or rolls back on its own (every write is one
    // transaction or one conditional write), so a retry finds either all of it or nothing.
    timeoutEarlyInMillis: DEADLINE_MARGIN_MS,
    timeoutEarlyResponse: () => {
      throw new ApiError(503, 'The request took too long, please retry', { 'Retry-After': '1' });
    },
  })
    .use(
      httpCors({
        origins: allowedOrigins(),
        headers: CORS_POLICY.allowHeaders.join(','),
        exposeHeaders: CORS_POLICY.exposeHeaders.join(','),
        methods: CORS_POLICY.allowMethods.join(','),
        maxAge: CORS_POLICY.maxAgeSeconds,
      }) as MiddlewareObj<HttpEvent, HttpResponse, Error, ApiContext>,
    )
    .use(securityHeaders() as MiddlewareObj<HttpEvent, HttpResponse, Error, ApiContext>)
    .use(errorMapping(spec.renderError))
    .use(routeGuard(route))
    .use(parseInput(route.rawBody ? undefined : route.body, route.query))
    .handler(async (event, context) => {
      const state = context.rfh;
      const result = await spec.handle({
        body: state.body as never,
        rawBody: state.rawBody,
        query: state.query as never,
        principal: state.principal,
        deps: state.deps,
        event,
        params: (event.pathParameters ?? {}) as Record<string, string>,
        sourceIp: state.clientAddress,
        origin: { clientAddress: state.clientAddress, userAgent: event.requestContext.http.userAgent ?? '' },
      });
      // Side effects of this request leave the process before Lambda may freeze it.
      await state.deps.sideEffects.handOff();
      return toResponse(result);
    });
  // Each invocation gets its deadline and retry budget, visible to every store call it makes,
  // and ends with one log line and its metrics.
  const key = routeKey(route);
  const handler = async (event: HttpEvent, context: ApiContext): Promise<HttpResponse> => {
    const started = performance.now();
    const scope = newScope(Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS, RETRY_BUDGET_PER_REQUEST);
    const response = await runInRequestScope(scope, () => stack(event, context));
    const status = response.statusCode ?? 200;
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    metricsRegistry.recordRequest(key, status, latencyMs);
    // Never the token, the body or the query: only what identifies the request and its cost.
    logger.info('request', {
      route: key,
      status,
      latencyMs,
      userId: context.rfh?.principal?.userId,
      requestId: event.requestContext.requestId,
      storeCalls: scope.storeCalls,
      retries: scope.retries,
    });
    if (inLambda) addRequestMetrics(key, status, latencyMs, scope);
    return response;
  };
  // In Lambda, Powertools wired as its middy middlewares: the Lambda context on every log line,
  // metrics published once per invocation with the cold-start metric, and where tracing is asked
  // for (shared/observability/telemetry.ts) an X-Ray segment per invocation (responses are not
  // recorded in traces: they may carry tokens).
  const lambdaHandler = inLambda
    ? middy(handler)
        .use(injectLambdaContext(logger, { resetKeys: true }))
        .use(logMetrics(metrics, { captureColdStartMetric: true }))
        .use(tracer ? [captureLambdaHandler(tracer, { captureResponse: false })] : [])
    : handler;
  // Which entry of the route table this handler serves, so a test can hold each handler file to
  // the entry that names it.
  return Object.assign(lambdaHandler, { route: key });
}
