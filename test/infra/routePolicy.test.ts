import { describe, expect, it } from 'vitest';
import {
  apiRouteKeys,
  cacheClass,
  cloudFrontPattern,
  dataNeeds,
  functionId,
  matchesPattern,
  planBehaviours,
  routePaths,
  routeThrottle,
  samplePath,
} from '../../infra/routePolicy.js';
import { routes, type RouteDefinition } from '../../shared/routes.js';

const route = (r: Partial<RouteDefinition> & Pick<RouteDefinition, 'method' | 'path' | 'handler'>): RouteDefinition => ({
  access: 'public',
  rateLimitPerMinute: 60,
  maxBodyBytes: 0,
  memoryMb: 256,
  timeoutSeconds: 5,
  summary: 'test',
  ...r,
});

/** The first planned behaviour a request path meets; undefined = the default (never cached). */
const landing = (plan: ReturnType<typeof planBehaviours>, path: string) => plan.find((b) => matchesPattern(b.pattern, path));

describe('route policy: names and needs', () => {
  it('gives every handler a distinct construct id', () => {
    expect(functionId({ handler: 'auth/change-password' })).toBe('AuthChangePassword');
    expect(functionId({ handler: 'packages/versions/get' })).toBe('PackagesVersionsGet');
    const ids = routes.map(functionId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists each route path and its aliases as API Gateway route keys', () => {
    expect(routePaths({ path: '/v1/x' })).toEqual(['/v1/x']);
    const aliased = { method: 'GET', path: '/v1/packages/{name}', aliases: ['/v1/packages/{scope}/{name}'] } as const;
    expect(apiRouteKeys(aliased)).toEqual(['GET /v1/packages/{name}', 'GET /v1/packages/{scope}/{name}']);
  });

  it('grants the archive bucket by handler prefix: read for packages/ and blobs/, write only to publish, HeadBucket to health', () => {
    expect(dataNeeds({ handler: 'auth/login' }).bucket).toBe('none');
    expect(dataNeeds({ handler: 'health' }).bucket).toBe('probe');
    expect(dataNeeds({ handler: 'blobs/get' }).bucket).toBe('read');
    expect(dataNeeds({ handler: 'packages/get' }).bucket).toBe('read');
    expect(dataNeeds({ handler: 'packages/publish' }).bucket).toBe('read-write');
    expect(dataNeeds({ handler: 'admin/users/list' })).toEqual({ table: true, jwtSecret: true, bucket: 'none' });
  });

  it('scales per-client limits to a route-wide API Gateway throttle', () => {
    expect(routeThrottle({ rateLimitPerMinute: 120 }, 10)).toEqual({ rateLimit: 20, burstLimit: 40 });
    expect(routeThrottle({ rateLimitPerMinute: 20 }, 1)).toEqual({ rateLimit: 1, burstLimit: 2 });
    expect(routeThrottle({ rateLimitPerMinute: 600_000 }, 1000).rateLimit).toBe(10_000);
  });
});

describe('route policy: CloudFront caching', () => {
  it('classifies routes: auth, signed-in and non-GET never; blobs and versions immutable; other public GETs brief', () => {
    expect(cacheClass(route({ method: 'GET', path: '/v1/blobs/{sha256}', handler: 'blobs/get' }))).toBe('immutable');
    expect(cacheClass(route({ method: 'GET', path: '/v1/packages/{name}/versions/{version}', handler: 'packages/versions/get' }))).toBe(
      'immutable',
    );
    expect(cacheClass(route({ method: 'GET', path: '/v1/packages/{name}', handler: 'packages/get' }))).toBe('brief');
    expect(cacheClass(route({ method: 'GET', path: '/v1/auth/profile', handler: 'auth/profile', access: 'user' }))).toBe('never');
    expect(cacheClass(route({ method: 'GET', path: '/v1/auth/anything', handler: 'auth/x' }))).toBe('never');
    expect(cacheClass(route({ method: 'GET', path: '/v1/admin/users', handler: 'admin/users/list', access: 'admin' }))).toBe('never');
    expect(cacheClass(route({ method: 'POST', path: '/v1/packages', handler: 'packages/publish', access: 'publisher' }))).toBe('never');
    expect(cacheClass(route({ method: 'GET', path: '/v1/health', handler: 'health' }))).toBe('never');
  });

  it("matches paths the way CloudFront's patterns do", () => {
    expect(cloudFrontPattern('/v1/packages/{name}/versions/{version}')).toBe('/v1/packages/*/versions/*');
    expect(samplePath('/v1/packages/{scope}/{name}')).toBe('/v1/packages/p1/p1');
    expect(matchesPattern('/v1/packages/*', '/v1/packages/@scope/name')).toBe(true);
    expect(matchesPattern('/v1/packages/*', '/v1/packages')).toBe(false);
    expect(matchesPattern('/v1/blobs/*', '/v1/blobsx/a')).toBe(false);
    expect(matchesPattern('/v1/openapi.json', '/v1/openapiXjson')).toBe(false);
  });

  it('never lets a cached behaviour catch a request of an uncacheable route (real route table)', () => {
    const plan = planBehaviours(routes);
    for (const r of routes) {
      for (const path of routePaths(r)) {
        const cls = landing(plan, samplePath(path))?.cache ?? 'never';
        const allowed = cacheClass(r, path);
        const rank = { never: 0, brief: 1, immutable: 2 } as const;
        expect(rank[cls], `${r.method} ${path} lands on ${cls}`).toBeLessThanOrEqual(rank[allowed]);
      }
    }
    // Authentication never meets a cached behaviour.
    for (const r of routes.filter((x) => x.path.startsWith('/v1/auth/'))) expect(landing(plan, samplePath(r.path))).toBeUndefined();
  });

  it('shields a write route under a cached pattern with its own never-cache behaviour, placed first', () => {
    const table = [
      route({ method: 'GET', path: '/v1/packages/{name}', handler: 'packages/get' }),
      route({ method: 'GET', path: '/v1/packages/{name}/versions/{version}', handler: 'packages/versions/get' }),
      route({ method: 'PUT', path: '/v1/packages/{name}/owners/{user}', handler: 'packages/owners/add', access: 'publisher' }),
      route({ method: 'GET', path: '/v1/packages', handler: 'packages/search' }),
      route({ method: 'POST', path: '/v1/packages', handler: 'packages/publish', access: 'publisher' }),
    ];
    const plan = planBehaviours(table);
    const patterns = plan.map((b) => b.pattern);
    expect(patterns).toContain('/v1/packages/*/owners/*');
    expect(patterns.indexOf('/v1/packages/*/owners/*')).toBeLessThan(patterns.indexOf('/v1/packages/*'));
    expect(plan.find((b) => b.pattern === '/v1/packages/*/owners/*')?.cache).toBe('never');
    expect(landing(plan, '/v1/packages/a/versions/1.0.0')?.cache).toBe('immutable');
    expect(landing(plan, '/v1/packages/@s/a/versions/1.0.0')?.cache).toBe('immutable');
    expect(landing(plan, '/v1/packages/a')?.cache).toBe('brief');
    // Search shares its path with publish: it stays uncached rather than strip publish's token.
    expect(landing(plan, '/v1/packages')).toBeUndefined();
  });

  it('drops behaviours that change nothing', () => {
    const plan = planBehaviours([
      route({ method: 'GET', path: '/v1/packages/{name}', handler: 'packages/get', aliases: ['/v1/packages/{scope}/{name}'] } as never),
      route({ method: 'GET', path: '/v1/health', handler: 'health' }),
    ]);
    expect(plan.map((b) => b.pattern)).toEqual(['/v1/packages/*']);
  });
});
