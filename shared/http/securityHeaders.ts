import type { MiddlewareObj } from '@middy/core';
import type { HttpEvent, HttpResponse } from './types.js';

// The security headers of every response, errors included. Written out here rather than taken from
// @middy/http-security-headers, which applies CSP and frame options to HTML responses only.
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

function apply(response: HttpResponse | undefined): void {
  if (!response) return;
  response.headers = { ...SECURITY_HEADERS, ...(response.headers ?? {}) };
}

export const securityHeaders = (): MiddlewareObj<HttpEvent, HttpResponse> => ({
  after: (request) => apply(request.response ?? undefined),
  onError: (request) => apply(request.response ?? undefined),
});
