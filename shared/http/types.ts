import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Principal } from '../auth/Principal.js';
import type { RouteDefinition } from '../routes.js';
import type { Dependencies } from '../runtime/Dependencies.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResponse = APIGatewayProxyStructuredResultV2;

/** What the middleware stack has established about a request before the use case runs. */
export interface RequestState {
  route: RouteDefinition;
  deps: Dependencies;
  principal: Principal | null;
  body: unknown;
  query: unknown;
  /** The request body as bytes, decoded from API Gateway's (maybe base64) string once. */
  rawBody: Buffer;
  /** The caller's address (clientAddress), worked out once per request. */
  clientAddress: string;
}

export type ApiContext = Context & {
  rfh: RequestState;
  /** Set by a runtime that owns its stores (the local server); Lambda builds them per container. */
  dependencies?: Dependencies;
};

/** What a handler returns; the stack turns it into an API Gateway response. */
export interface HandlerResult {
  status: number;
  /** Serialised as JSON unless `bytes` or `html` is given. */
  body?: unknown;
  /** An HTML document (the web catalogue's pages). */
  html?: string;
  /** A binary body (sent base64-encoded, as API Gateway expects). */
  bytes?: Uint8Array;
  headers?: Record<string, string>;
  /** No body at all (304, redirects). */
  empty?: boolean;
}
