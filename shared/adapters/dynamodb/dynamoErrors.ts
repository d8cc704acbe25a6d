import { StoreUnavailableError } from '../../errors.js';

// Client errors that mean the request itself is wrong stay as they are (bugs, 500);
// everything else from DynamoDB (throttling, 5xx, network, timeouts) means "unavailable now".
const CALLER_ERRORS = new Set([
  'ConditionalCheckFailedException',
  'ValidationException',
  'ResourceNotFoundException',
  'TransactionCanceledException',
]);

export function toDynamoStoreError(err: unknown): unknown {
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && CALLER_ERRORS.has(name)) return err;
  return new StoreUnavailableError('dynamodb', err);
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
