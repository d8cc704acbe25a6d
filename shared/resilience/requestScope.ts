import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Per-request limits that every store call can see without threading them through each port:
 * the deadline (derived from the Lambda's remaining time) and the retry budget.
 */
export interface RequestScope {
  deadline: number;
  retriesLeft: number;
  /** Round trips this request made, per store: the budgets of docs/ARCHITECTURE.md, measured. */
  storeCalls: Record<'postgres' | 'dynamodb' | 'blobs', number>;
  retries: number;
}

export const newScope = (deadline: number, retriesLeft: number): RequestScope => ({
  deadline,
  retriesLeft,
  storeCalls: { postgres: 0, dynamodb: 0, blobs: 0 },
  retries: 0,
});

const storage = new AsyncLocalStorage<RequestScope>();

/** Retries one request may spend across all its store calls. */
export const RETRY_BUDGET_PER_REQUEST = 3;

export function runInRequestScope<T>(scope: RequestScope, fn: () => Promise<T>): Promise<T> {
  return storage.run(scope, fn);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

/** Takes one retry from the request's budget if there is one and time remains for `delayMs`. */
export function takeRetry(delayMs: number): boolean {
  const scope = storage.getStore();
  if (!scope) return true; // background work: bounded by the policy's own attempt limit
  if (scope.retriesLeft <= 0 || Date.now() + delayMs >= scope.deadline) return false;
  scope.retriesLeft--;
  scope.retries++;
  return true;
}
