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

  it("grants the archive bucket the route entry names, and none by default (never inferred from a handler's name)", () => {
    expect(dataNeeds({ handler: 'packages/anything' })).toEqual({ table: true, jwtSecret: true, bucket: 'none' });
    expect(dataNeeds({ handler: 'x', bucket: 'read' }).bucket).toBe('read');
    const byHandler = Object.fromEntries(routes.map((r) => [r.handler, dataNeeds(r).bucket]));
    expect(byHandler).toMatchObject({ health: 'probe', 'blobs/get': 'read', 'packages/publish': 'read-write', 'packages/get': 'none', 'auth/login': 'none' });
    expect(Object.entries(byHandler).filter(([, b]) => b === 'read-write').map(([h]) => h)).toEqual(['packages/publish']);
  });

  it('scales per-client limits to a route-wide API Gateway throttle', () => {
    expect(routeThrottle({ rateLimitPerMinute: 120 }, 10)).toEqual({ rateLimit: 20, burstLimit: 40 });
    expect(routeThrottle({ rateLimitPerMinute: 20 }, 1)).toEqual({ rateLimit: 1, burstLimit: 2 });
    expect(routeThrottle({ rateLimitPerMinute: 600_000 }, 1000).rateLimit).toBe(10_000);
  });
});

describe('route policy: CloudFront caching', () => {
  it('takes the class the route entry names (default never), and refuses one that would cache what must not be', () => {
    expect(cacheClass(route({ method: 'GET', path: '/v1/blobs/{sha256}', handler: 'blobs/get', cache: 'immutable' }))).toBe('immutable');
    expect(cacheClass(route({ method: 'GET', path: '/v1/packages/{name}', handler: 'packages/get', cache: 'brief' }))).toBe('brief');
    expect(cacheClass(route({ method: 'GET', path: '/v1/packages/{name}', handler: 'packages/get' }))).toBe('never');
    expect(() => cacheClass(route({ method: 'GET', path: '/v1/auth/profile', handler: 'auth/profile', access: 'user', cache: 'brief' }))).toThrow(/cannot be cached/);
    expect(() => cacheClass(route({ method: 'GET', path: '/v1/auth/anything', handler: 'auth/x', cache: 'brief' }))).toThrow(/cannot be cached/);
    expect(() => cacheClass(route({ method: 'POST', path: '/v1/packages', handler: 'packages/publish', cache: 'immutable' }))).toThrow(/cannot be cached/);
    // The real table: versions and archives immutable, health and everything signed-in never.
    const byKey = Object.fromEntries(routes.map((r) => [`${r.method} ${r.path}`, cacheClass(r)]));
    expect(byKey).toMatchObject({
      'GET /v1/blobs/{sha256}': 'immutable',
      'GET /v1/packages/{name}/versions/{version}': 'immutable',
      'GET /v1/packages/{name}': 'brief',
      'GET /v1/health': 'never',
      'GET /v1/auth/profile': 'never',
      'POST /v1/packages': 'never',
    });
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
        const allowed = cacheClass(r);
        const rank = { never: 0, brief: 1, immutable: 2 } as const;
        expect(rank[cls], `${r.method} ${path} lands on ${cls}`).toBeLessThanOrEqual(rank[allowed]);
      }
    }
    // Authentication never meets a cached behaviour.
    for (const r of routes.filter((x) => x.path.startsWith('/v1/auth/'))) expect(landing(plan, samplePath(r.path))).toBeUndefined();
  });

  it('shields a write route under a cached pattern with its own never-cache behaviour, placed first', () => {
    const table = [
      route({ method: 'GET', path: '/v1/packages/{name}', handler: 'packages/get', cache: 'brief' }),
      route({ method: 'GET', path: '/v1/packages/{name}/versions/{version}', handler: 'packages/versions/get', cache: 'immutable' }),
      route({ method: 'PUT', path: '/v1/packages/{name}/owners/{user}', handler: 'packages/owners/add', access: 'publisher' }),
      route({ method: 'GET', path: '/v1/packages', handler: 'packages/search', cache: 'brief' }),
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
      route({ method: 'GET', path: '/v1/packages/{name}', handler: 'packages/get', cache: 'brief', aliases: ['/v1/packages/{scope}/{name}'] } as never),
      route({ method: 'GET', path: '/v1/health', handler: 'health' }),
    ]);
    expect(plan.map((b) => b.pattern)).toEqual(['/v1/packages/*']);
  });
});
