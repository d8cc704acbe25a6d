import type { VNode } from 'preact';
import { render } from 'preact-render-to-string';
import { defineHandler, type HandlerInput } from '../http/defineHandler.js';
import type { ErrorAnswer } from '../http/errorResponse.js';
import { jsonResponse } from '../http/errorResponse.js';
import { contentEtag, ifNoneMatchHits } from '../http/etag.js';
import type { HandlerResult, HttpEvent, HttpResponse } from '../http/types.js';
import { PUBLIC_RELEASE } from '../packages/reads.js';
import type { QueryOf, RouteKey } from '../routes.js';
import { PAGE_CSP } from './contentSecurityPolicy.js';
import { ErrorPage } from './ErrorPage.js';

const toDocument = (page: VNode) => `<!doctype html>${render(page)}`;

/**
 * A page as the stack sends it. Pages are anonymous and the same for everyone, so shared caches
 * may keep them as long as a published version's JSON (`PUBLIC_RELEASE`: CloudFront at most 5
 * minutes, 1 more while it refreshes): what a page shows can change (downloads, a yank, a
 * registry turned private), so it is never cached for long, and its ETag, a hash of the whole
 * document, changes whenever anything shown changes.
 */
export function pageResult(page: VNode, event: HttpEvent): HandlerResult {
  const html = toDocument(page);
  const etag = contentEtag(html);
  const headers = { ETag: etag, 'Cache-Control': PUBLIC_RELEASE, 'Content-Security-Policy': PAGE_CSP };
  if (ifNoneMatchHits(event.headers['if-none-match'], etag)) return { status: 304, headers, empty: true };
  return { status: 200, html, headers };
}

/**
 * An error of a page route, as a page with a search box; under /v1/ (the catch-all route also
 * answers unknown API paths) as the API's JSON. Never stored by a shared cache.
 */
export function errorPageResponse(error: ErrorAnswer, event: Pick<HttpEvent, 'rawPath'>): HttpResponse {
  if (event.rawPath.startsWith('/v1/')) return jsonResponse(error.status, { error: error.message }, error.headers);
  return {
    statusCode: error.status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': PAGE_CSP,
      ...error.headers,
    },
    body: toDocument(<ErrorPage status={error.status} message={error.message} />),
  };
}

/** A page route's handler: gathers what the page shows and renders it; errors become pages. */
export function definePage<K extends RouteKey>(spec: { route: K; render(input: HandlerInput<undefined, QueryOf<K>>): Promise<VNode> }) {
  return defineHandler({
    route: spec.route,
    handle: async (input) => pageResult(await spec.render(input as HandlerInput<undefined, QueryOf<K>>), input.event),
    renderError: errorPageResponse,
  });
}
