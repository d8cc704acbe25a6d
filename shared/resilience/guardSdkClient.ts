import type { StoreGuard } from './StoreGuard.js';

interface MiddlewareStackLike {
  add(middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
}

/**
 * Routes every command of an AWS SDK v3 client through a StoreGuard. Installed at the
 * `initialize` step, outside the SDK's own retry strategy (jittered backoff with a retry quota),
 * so the breaker counts a call once, after the SDK has given up on it.
 */
export function guardSdkClient<C extends { middlewareStack: unknown }>(client: C, guard: StoreGuard): C {
  (client.middlewareStack as MiddlewareStackLike).add((next) => (args) => guard.run(() => next(args)), {
    step: 'initialize',
    name: `storeGuard-${guard.store}`,
  });
  return client;
}
