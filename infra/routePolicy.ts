/**
 * Everything the stack derives from one route of shared/routes.ts, as pure functions (no CDK
 * types), so the rules are unit-tested directly and a new route needs no change here.
 */
import type { BucketAccess, CacheClass, RouteDefinition } from '../shared/routes.js';

export type { BucketAccess, CacheClass };

/**
 * Archives live under this key prefix of the blobs bucket (S3BlobStore's default); functions
 * get object rights on it only.
 */
export const BLOBS_PREFIX = 'archives/';

/**
 * A publish first writes its archive under this prefix (S3BlobStore's default staging prefix,
 * outside BLOBS_PREFIX), then copies it to its content address and deletes it. Only the publish
 * function may touch it; the bucket's lifecycle rule expires what a failed publish left there.
 */
export const STAGING_PREFIX = 'staging/';

/**
 * Every API Gateway path a route is served on: its path, then its aliases (scoped package names
 * arrive as two segments, so `{name}` routes also answer at `{scope}/{name}`).
 */
export function routePaths(route: Pick<RouteDefinition, 'path'>): string[] {
  const aliases = (route as { aliases?: readonly string[] }).aliases ?? [];
  return [route.path, ...aliases];
}

/** `METHOD path` for each path of a route: API Gateway's route keys. */
export function apiRouteKeys(route: Pick<RouteDefinition, 'method' | 'path'>): string[] {
  return routePaths(route).map((p) => `${route.method} ${p}`);
}

/** A construct id from a handler path: `auth/change-password` -> `AuthChangePassword`. */
export function functionId(route: Pick<RouteDefinition, 'handler'>): string {
  return route.handler
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/**
 * What a route's function may touch: every function reads and writes the sessions table
 * (authentication, sessions, login throttling) and reads the JWT secret; archive rights are the
 * route entry's `bucket` (default none).
 */
export function dataNeeds(route: Pick<RouteDefinition, 'handler' | 'bucket'>): { table: true; jwtSecret: true; bucket: BucketAccess } {
  return { table: true, jwtSecret: true, bucket: route.bucket ?? 'none' };
}

/** The DynamoDB actions the adapters use (shared/adapters/dynamodb): no wildcard. */
export const SESSIONS_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
] as const;

/** Only Query runs against the `by_user` index. */
export const SESSIONS_INDEX_ACTIONS = ['dynamodb:Query'] as const;

export const BUCKET_OBJECT_ACTIONS: Record<Exclude<BucketAccess, 'none' | 'probe'>, readonly string[]> = {
  read: ['s3:GetObject'],
  'read-write': ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
};

/** On staged objects: put, read (the copy's source), delete; for publishing only. */
export const STAGING_OBJECT_ACTIONS = ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] as const;

export interface RouteThrottle {
  /** Steady requests per second for the whole route. */
  rateLimit: number;
  burstLimit: number;
}

/**
 * API Gateway route throttling from the table's per-client limit. HTTP API throttling counts
 * every caller together, so the ceiling is the per-client rate times the number of clients the
 * environment expects at full speed at once; bursts may reach twice that.
 */
export function routeThrottle(route: Pick<RouteDefinition, 'rateLimitPerMinute'>, concurrentClients: number): RouteThrottle {
  const perSecond = (route.rateLimitPerMinute / 60) * concurrentClients;
  const rateLimit = Math.min(10_000, Math.max(1, Math.ceil(perSecond)));
  const burstLimit = Math.min(5_000, Math.max(2, Math.ceil(perSecond * 2)));
  return { rateLimit, burstLimit };
}

const CACHE_RANK: Record<CacheClass, number> = { never: 0, brief: 1, immutable: 2 };

/**
 * How CloudFront may cache a route's answers: the route entry's `cache` (default never). Only a
 * public GET may be cached at all, and nothing under /v1/auth/: an entry that says otherwise is a
 * mistake in the table, refused here rather than deployed.
 */
export function cacheClass(route: Pick<RouteDefinition, 'method' | 'path' | 'access' | 'cache'>): CacheClass {
  const cache = route.cache ?? 'never';
  if (cache !== 'never' && (route.method !== 'GET' || route.access !== 'public' || route.path.startsWith('/v1/auth/'))) {
    throw new Error(`${route.method} ${route.path} cannot be cached (${cache}): only public GETs outside /v1/auth/ may be`);
  }
  return cache;
}

/** A CloudFront path pattern for an API Gateway path template: each `{param}` or `{proxy+}` becomes `*`. */
export function cloudFrontPattern(path: string): string {
  return path.replace(/\{[^}]+\}/g, '*');
}

/** A concrete path a route serves, for checking which behaviour would catch it. */
export function samplePath(path: string): string {
  return path.replace(/\{[^}]+\+\}/g, 'p1/p2').replace(/\{[^}]+\}/g, 'p1');
}

/** CloudFront's path-pattern matching: `*` any run of characters (also `/`), `?` one character. */
export function matchesPattern(pattern: string, path: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
  );
  return re.test(path);
}

export interface PlannedBehaviour {
  pattern: string;
  cache: CacheClass;
  /** The route keys whose requests this behaviour is meant for. */
  routes: string[];
}

/** Literal characters first, then length: CloudFront takes the first behaviour that matches. */
function specificity(pattern: string): number {
  return pattern.replace(/[*?]/g, '').length * 1000 + pattern.length;
}

/**
 * The CloudFront cache behaviours for a route table, in precedence order. The default
 * behaviour (not listed) never caches and forwards everything. A path pattern is cacheable only
 * if every route under it is; where a cacheable pattern would also catch an uncacheable route
 * (e.g. `/v1/packages/*` and `PUT /v1/packages/{name}/owners/{user}`), that route's own pattern
 * is placed before it as a never-cache behaviour. Behaviours that change no route's caching are dropped.
 */
export function planBehaviours(routeTable: readonly RouteDefinition[]): PlannedBehaviour[] {
  // One entry per served path (aliases included), with the class that path may be cached at.
  const routes = routeTable.flatMap((r) =>
    routePaths(r).map((path) => ({ method: r.method, path, cache: cacheClass(r) })),
  );
  const groups = new Map<string, PlannedBehaviour>();
  for (const r of routes) {
    const pattern = cloudFrontPattern(r.path);
    const cache = r.cache;
    const g = groups.get(pattern);
    const key = `${r.method} ${r.path}`;
    if (!g) groups.set(pattern, { pattern, cache, routes: [key] });
    else {
      g.routes.push(key);
      if (CACHE_RANK[cache] < CACHE_RANK[g.cache]) g.cache = cache;
    }
  }
  let order = [...groups.values()].sort(
    (a, b) => specificity(b.pattern) - specificity(a.pattern) || a.pattern.localeCompare(b.pattern),
  );

  const landing = (list: PlannedBehaviour[], path: string) => list.find((b) => matchesPattern(b.pattern, path));
  const unsafe = (list: PlannedBehaviour[]) =>
    routes.find((r) => {
      const landed = landing(list, samplePath(r.path));
      return landed !== undefined && CACHE_RANK[landed.cache] > CACHE_RANK[r.cache];
    });

  // Move a shadowed route's own pattern ahead of the behaviour that would wrongly cache it.
  for (let i = 0; ; i++) {
    const bad = unsafe(order);
    if (!bad) break;
    if (i > routes.length * routes.length) {
      throw new Error(`Cannot order CloudFront behaviours safely for ${bad.method} ${bad.path}; give it a distinct path`);
    }
    const own = groups.get(cloudFrontPattern(bad.path))!;
    const landed = landing(order, samplePath(bad.path))!;
    order = order.filter((b) => b !== own);
    order.splice(order.indexOf(landed), 0, own);
  }

  // Drop behaviours that change nothing: every route would land on a behaviour of the same
  // class without them (a never-cache one that shields nothing, a cached one that a broader
  // pattern of its class already covers). CloudFront allows 25 behaviours by default.
  const classes = (list: PlannedBehaviour[]) => routes.map((r) => landing(list, samplePath(r.path))?.cache ?? 'never');
  const wanted = classes(order);
  for (let i = order.length - 1; i >= 0; i--) {
    const without = order.filter((_, j) => j !== i);
    if (classes(without).every((c, k) => c === wanted[k])) order = without;
  }
  return order;
}
