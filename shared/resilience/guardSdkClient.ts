import type { StoreGuard } from './StoreGuard.js';

interface MiddlewareStackLike {
  add(middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
}

/**
 * Routes every command of an AWS SDK v3 client through a StoreGuard. Installed at the
 * `initialize` step, outside the SDK's own retry strategy (jittered backoff with a retry quota),
 * so the breaker counts a call once, after the SDK has given up on it.
 *
 * The stack is final from here on, so the client then resolves it once per command class
 * (`cacheMiddleware`) instead of on every call: rebuilding and sorting it per call cost about a
 * tenth of a DynamoDB call's CPU and most of its garbage. The flag is set here, not when the
 * client is built, because a client may send before it is guarded (the local table bootstrap):
 * a handler cached then would skip the guard.
 */
export function guardSdkClient<C extends { middlewareStack: unknown; config: object }>(client: C, guard: StoreGuard): C {
  (client.middlewareStack as MiddlewareStackLike).add((next) => (args) => guard.run(() => next(args)), {
    step: 'initialize',
    name: `storeGuard-${guard.store}`,
  });
  (client.config as { cacheMiddleware?: boolean }).cacheMiddleware = true;
  return client;
}
