import {
  isClockSkewCorrectedError,
  isServerError,
  isThrottlingError,
  isTransientError,
} from '@smithy/service-error-classification';

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Failures of the connection itself (no answer from the store), beyond the ones the SDK's own
 * classification knows (ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH,
 * ENOTFOUND, EAI_AGAIN).
 */
const NETWORK_CODES = new Set([
  'ECONNABORTED',
  'ENETDOWN',
  'EHOSTDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_SESSION_ERROR',
]);

/**
 * Whether a failed AWS SDK call means "the store is unavailable now" (503 with Retry-After,
 * counted by the store's circuit breaker) rather than "this call is wrong" (a 500 that someone
 * must look at). The classes are the SDK's own retry classes, from
 * `@smithy/service-error-classification`:
 * - throttling (ThrottlingException, ProvisionedThroughputExceededException, SlowDown, 429, …);
 * - transient: TimeoutError (a request timeout, with `throwOnRequestTimeout`), RequestTimeout,
 *   500/502/503/504, network failures (ECONNREFUSED, ECONNRESET, ETIMEDOUT, …), errors the service
 *   model marks retryable, and a clock skew the SDK has just corrected;
 * - any other 5xx from the service.
 * Everything else is not the store being unavailable: an error in our code (TypeError,
 * RangeError), a permission or credentials problem (AccessDeniedException, AccessDenied,
 * UnrecognizedClientException, a signature the service refuses without a clock skew to correct:
 * `isClockSkewError` alone also matches AccessDeniedException, so it is not used), a request the
 * service refuses (ValidationException), a missing table or bucket (ResourceNotFoundException,
 * NoSuchBucket), or a normal outcome the adapter handles (ConditionalCheckFailedException).
 * Retrying those cannot help, and counting them would open the breaker on a bug.
 */
export function isSdkUnavailable(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as SdkErrorShape;
  const sdkErr = err as Parameters<typeof isTransientError>[0];
  if (isThrottlingError(sdkErr) || isTransientError(sdkErr) || isServerError(sdkErr) || isClockSkewCorrectedError(sdkErr)) {
    return true;
  }
  // An HTTP 408 (S3: the request took too long to send) is transient as well.
  if (e.$metadata?.httpStatusCode === 408) return true;
  return typeof e.code === 'string' && NETWORK_CODES.has(e.code);
}
