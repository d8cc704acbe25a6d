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
 * SQLSTATEs with which PostgreSQL refuses a value the client sent, not the statement: validation
 * should have caught these first, so each is logged, but the caller still gets a 400, never a 500.
 */
const REFUSED_INPUT: Record<string, string> = {
  // character_not_in_repertoire, untranslatable_character: NUL in text or in JSON.
  '22021': 'The request contains characters that cannot be stored (such as NUL)',
  '22P05': 'The request contains characters that cannot be stored (such as NUL)',
  // program_limit_exceeded, statement_too_complex: e.g. search text that is too complex.
  '54000': 'The request is too complex to process: simplify it and try again',
  '54001': 'The request is too complex to process: simplify it and try again',
};

function refusedInput(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(REFUSED_INPUT, code) ? REFUSED_INPUT[code] : undefined;
}

/** What an error means for the caller: a status, a sentence for people, and headers such as Retry-After. */
export interface ErrorAnswer {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/**
 * The one place where errors get their meaning. ApiError carries its status and a message meant
 * for people; a store failure becomes 503 with Retry-After; a value the database refuses becomes
 * 400; anything else is a bug, logged here and answered with a constant 500 that leaks nothing.
 */
export function describeError(err: unknown, requestId?: string): ErrorAnswer {
  if (err instanceof ApiError) return { status: err.status, message: err.message, ...(err.headers ? { headers: err.headers } : {}) };
  const refused = refusedInput(err);
  if (refused) {
    logger.warn('input refused by the database', { requestId, code: (err as { code: string }).code, error: err instanceof Error ? err.message : String(err) });
    return { status: 400, message: refused };
  }
  if (err instanceof StoreUnavailableError) {
    logger.warn('store unavailable', { store: err.store, requestId, cause: String(err.cause) });
    return {
      status: 503,
      message: 'A data store is temporarily unavailable, please retry shortly',
      headers: { 'Retry-After': String(err.retryAfterSeconds) },
    };
  }
  logger.error('unhandled error', { requestId, error: err instanceof Error ? err : String(err) });
  return { status: 500, message: 'Internal server error' };
}

/** An error as the API answers it: JSON `{"error": "..."}`. */
export function errorToResponse(err: unknown, requestId?: string): HttpResponse {
  const { status, message, headers } = describeError(err, requestId);
  return jsonResponse(status, { error: message }, headers);
}
