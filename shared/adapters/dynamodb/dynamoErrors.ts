import { StoreUnavailableError } from '../../errors.js';
import { isSdkUnavailable } from '../../resilience/sdkErrors.js';

/**
 * Maps a failed DynamoDB call. Throttling, 5xx, timeouts and network failures mean the store is
 * unavailable now (StoreUnavailableError: 503 with Retry-After, counted by the breaker). Anything
 * else stays as it is: outcomes the adapters handle (ConditionalCheckFailedException,
 * TransactionCanceledException) and errors no retry can fix (a TypeError in our code,
 * AccessDeniedException, ValidationException, ResourceNotFoundException for a missing table),
 * which end as a logged 500 and do not count against the store.
 */
export function toDynamoStoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  return isSdkUnavailable(err) ? new StoreUnavailableError('dynamodb', err) : err;
}

/**
 * BatchGetItem left keys unprocessed: DynamoDB does that only when it is throttling the table,
 * so the store is unavailable now.
 */
export function unprocessedKeysError(): StoreUnavailableError {
  return new StoreUnavailableError('dynamodb', new Error('Unprocessed keys: DynamoDB is throttling'));
}

export function isConditionFailed(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

/** Runs one DynamoDB call, turning failures of the store into StoreUnavailableError. */
export async function callDynamo<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toDynamoStoreError(err);
  }
}
