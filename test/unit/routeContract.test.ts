import { describe, expect, it } from 'vitest';
import { routeKey, routes } from '../../shared/routes.js';

// The route table is the contract: each entry names its handler file, and that file must serve
// exactly that entry (its key), so the limits, schemas and access of the entry are what apply.

describe('the route table and the handler files', () => {
  it.each(routes.map((r) => [routeKey(r), r] as const))('%s: its handler file serves this entry', async (key, route) => {
    const mod = (await import(/* @vite-ignore */ new URL(`../../functions/${route.handler}.ts`, import.meta.url).href)) as { handler?: { route?: string } };
    expect(typeof mod.handler).toBe('function');
    expect(mod.handler!.route).toBe(key);
  });

  it('names each handler file once', () => {
    const files = routes.map((r) => r.handler);
    expect(new Set(files).size).toBe(files.length);
  });

  it('gives a body schema only to routes that take a body, and a raw body only to a POST', () => {
    for (const r of routes) {
      if ('body' in r || 'rawBody' in r) expect(r.maxBodyBytes, routeKey(r)).toBeGreaterThan(0);
      if ('rawBody' in r) {
        expect(r.method).toBe('POST');
        expect('body' in r).toBe(false);
      }
      if (r.method === 'GET') expect('body' in r || 'rawBody' in r, routeKey(r)).toBe(false);
    }
  });

  it('documents the answers the rfh client decodes', () => {
    for (const key of ['POST /v1/auth/login', 'POST /v1/auth/register', 'GET /v1/auth/profile', 'GET /v1/packages', 'GET /v1/packages/{name}', 'GET /v1/packages/{name}/versions/{version}', 'POST /v1/packages']) {
      const r = routes.find((x) => routeKey(x) === key)!;
      expect('response' in r, key).toBe(true);
    }
  });
});
