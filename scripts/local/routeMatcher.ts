import { routes, type RouteDefinition } from '../../shared/routes.js';

interface CompiledRoute {
  route: RouteDefinition;
  pattern: RegExp;
  params: string[];
  /** Fewer parameters first: API Gateway prefers the most specific route. */
  specificity: number;
  /** A greedy `{proxy+}` path: tried only when no other path matches, as API Gateway does. */
  greedy: boolean;
}

function compile(route: RouteDefinition, path: string): CompiledRoute {
  const params: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const m = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params, specificity: params.length, greedy: path.includes('+}') };
}

export type RouteMatch =
  | { kind: 'route'; route: RouteDefinition; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

/**
 * Matches requests against the route table the way API Gateway does: each path and alias of
 * every route, literal segments winning over variables, greedy paths last. A path that some
 * route serves with other methods is a 405 even where a greedy route would take it.
 */
export class RouteMatcher {
  private readonly compiled = routes
    .flatMap((r: RouteDefinition) => [r.path, ...(r.aliases ?? [])].map((p) => compile(r, p)))
    .sort((a, b) => Number(a.greedy) - Number(b.greedy) || a.specificity - b.specificity);

  match(method: string, path: string): RouteMatch {
    const allowed: string[] = [];
    for (const c of this.compiled) {
      if (c.greedy && allowed.length > 0) break;
      const m = c.pattern.exec(path);
      if (!m) continue;
      if (c.route.method !== method) {
        if (!c.greedy) allowed.push(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      c.params.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
      return { kind: 'route', route: c.route, params };
    }
    return allowed.length ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}
