/**
 * HTTP settings for every AWS SDK client (`requestHandler`), so that a store that accepts the
 * connection and then never answers ends the call at its deadline.
 *
 * `@smithy/node-http-handler` only logs a warning when `requestTimeout` passes unless
 * `throwOnRequestTimeout` is set; the call otherwise waits for the socket's idle timeout (300 s
 * by default for DynamoDB and Secrets Manager, 900 s for SQS). With it, the attempt is destroyed
 * and fails with a TimeoutError (code ETIMEDOUT), which the SDK retries within `maxAttempts` and
 * the adapters classify as the store being unavailable (503 with Retry-After, counted by the
 * breaker). `requestTimeout` runs from sending until the response headers; `socketTimeout` (the
 * same value, idle time) bounds a response that starts and then stops.
 *
 * Size `maxAttempts × requestTimeoutMs` (plus the SDK's backoff, at most a few hundred ms) well
 * inside the shortest route timeout that makes the call, so the store's own 503 comes first.
 */
export interface SdkTimeouts {
  /** Connecting (TCP and TLS). */
  connectTimeoutMs: number;
  /** One attempt, from sending the request until the response headers. */
  requestTimeoutMs: number;
}

export function boundedRequestHandler({ connectTimeoutMs, requestTimeoutMs }: SdkTimeouts) {
  return {
    connectionTimeout: connectTimeoutMs,
    requestTimeout: requestTimeoutMs,
    socketTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
  };
}
