import { ApiError, StoreUnavailableError } from '../errors.js';
import { logger } from '../observability/telemetry.js';
import type { HttpResponse } from './types.js';

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The one place where errors become HTTP. ApiError carries its status and a message meant for
 * people; a store failure becomes 503 with Retry-After; anything else is a bug, logged here
 * and answered with a constant 500 that leaks nothing.
 */
export function errorToResponse(err: unknown, requestId?: string): HttpResponse {
  if (err instanceof ApiError) return jsonResponse(err.status, { error: err.message }, err.headers);
  if (err instanceof StoreUnavailableError) {
    logger.warn('store unavailable', { store: err.store, requestId, cause: String(err.cause) });
    return jsonResponse(
      503,
      { error: 'A data store is temporarily unavailable, please retry shortly' },
      { 'Retry-After': String(err.retryAfterSeconds) },
    );
  }
  logger.error('unhandled error', { requestId, error: err instanceof Error ? err : String(err) });
  return jsonResponse(500, { error: 'Internal server error' });
}
