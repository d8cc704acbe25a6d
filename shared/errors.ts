/**
 * The one error type of the API. Use cases throw these; the middleware stack maps them to
 * HTTP in one place (shared/http/errorResponse.ts). Anything else that escapes a handler is
 * an internal error and is answered with a constant 500 message, never its details.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After on 429/503. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const unauthorized = (message = 'Authentication required') => new ApiError(401, message);
export const forbidden = (message = 'You do not have permission to do this') => new ApiError(403, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);
export const payloadTooLarge = (message: string) => new ApiError(413, message);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new ApiError(429, message, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
export const serviceUnavailable = (message = 'Service temporarily unavailable, please retry', retryAfterSeconds = 2) =>
  new ApiError(503, message, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });

/**
 * Thrown by adapters when a data store cannot be reached or answers with a server-side
 * failure. Mapped to 503 with Retry-After: the client may retry, nothing was half-done.
 */
export class StoreUnavailableError extends Error {
  constructor(
    readonly store: 'postgres' | 'dynamodb' | 'blobs',
    cause?: unknown,
    /** When the caller may try again (e.g. when an open circuit will next probe). */
    readonly retryAfterSeconds = 2,
  ) {
    super(`${store} unavailable`, { cause });
    this.name = 'StoreUnavailableError';
  }
}
