import { toDynamoStoreError } from '../adapters/dynamodb/dynamoErrors.js';
import { StoreUnavailableError } from '../errors.js';
import { isSafeToRepeat, isStoreFailure } from './GuardedDatabase.js';
import { StoreGuard, type StoreName } from './StoreGuard.js';

export type StoreGuards = Record<StoreName, StoreGuard>;

/**
 * One guard per store and process (per Lambda container). Bounds: enough concurrency for the
 * local server's peak (a Lambda container runs one request at a time), queues bounded so that
 * overload costs a 503, not memory. Circuits open after 5 consecutive failures and probe after
 * 2 seconds, so a store that comes back is in use again within seconds.
 */
export function createStoreGuards(): StoreGuards {
  const breaker = { failureThreshold: 5, halfOpenAfterMs: 2_000 };
  return {
    postgres: new StoreGuard(
      'postgres',
      { concurrency: 64, queue: 2_000, ...breaker, retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 400 } },
      isStoreFailure,
      isSafeToRepeat,
    ),
    // The SDK retries DynamoDB throttling and 5xx itself; the guard sees raw SDK errors.
    dynamodb: new StoreGuard('dynamodb', { concurrency: 128, queue: 2_000, ...breaker }, (err) => toDynamoStoreError(err) instanceof StoreUnavailableError),
    blobs: new StoreGuard('blobs', { concurrency: 32, queue: 500, ...breaker }, isStoreFailure),
  };
}
