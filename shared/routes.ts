/**
 * THE route table. The local server, the CDK stack and the OpenAPI document are all built
 * from this list, so they cannot drift apart. To find an endpoint's code from its URL:
 * `handler` is the entry file under functions/ (without extension).
 */
export const ROLES = ['user', 'publisher', 'admin', 'root'] as const;
export type Role = (typeof ROLES)[number];

/** Who may call a route: anyone, or any signed-in user at least this role. */
export type Access = 'public' | Role;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDefinition {
  method: HttpMethod;
  /** API Gateway HTTP API path template, e.g. /v1/packages/{name}. */
  path: string;
  /** Entry file under functions/, without extension. */
  handler: string;
  access: Access;
  /** Per-client limit: requests per minute from one source address. */
  rateLimitPerMinute: number;
  /** Largest request body accepted, in bytes (413 above it). */
  maxBodyBytes: number;
  memoryMb: number;
  timeoutSeconds: number;
  summary: string;
}

const JSON_BODY = 16 * 1024;

export const routes = [
  {
    method: 'GET', path: '/v1/health', handler: 'health', access: 'public',
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'Service health, with the state of each data store',
  },
  {
    method: 'POST', path: '/v1/auth/register', handler: 'auth/register', access: 'public',
    rateLimitPerMinute: 30, maxBodyBytes: JSON_BODY, memoryMb: 1024, timeoutSeconds: 10,
    summary: 'Create an account and sign in',
  },
  {
    method: 'POST', path: '/v1/auth/login', handler: 'auth/login', access: 'public',
    rateLimitPerMinute: 120, maxBodyBytes: JSON_BODY, memoryMb: 1024, timeoutSeconds: 10,
    summary: 'Sign in with username and password; returns a bearer token',
  },
  {
    method: 'POST', path: '/v1/auth/logout', handler: 'auth/logout', access: 'user',
    rateLimitPerMinute: 120, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 5,
    summary: 'End the current session',
  },
  {
    method: 'GET', path: '/v1/auth/profile', handler: 'auth/profile', access: 'user',
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'The signed-in user',
  },
  {
    method: 'POST', path: '/v1/auth/change-password', handler: 'auth/change-password', access: 'user',
    rateLimitPerMinute: 20, maxBodyBytes: JSON_BODY, memoryMb: 1024, timeoutSeconds: 10,
    summary: "Change the signed-in user's password; ends every other session",
  },
  {
    method: 'DELETE', path: '/v1/auth/delete-account', handler: 'auth/delete-account', access: 'user',
    rateLimitPerMinute: 20, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Deactivate the signed-in account and end all its sessions',
  },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof routes)[number];
export type RouteKey = `${Route['method']} ${Route['path']}`;

export const routeKey = (r: RouteDefinition): string => `${r.method} ${r.path}`;

export function findRoute(key: RouteKey): RouteDefinition {
  const found = routes.find((r) => routeKey(r) === key);
  if (!found) throw new Error(`No route ${key} in shared/routes.ts`);
  return found;
}

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}
