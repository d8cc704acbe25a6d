import * as z from 'zod/mini';
import { SERVICE_NAME, SERVICE_VERSION } from '../config.js';
import { routes, type RouteDefinition } from '../routes.js';

const errorSchema = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });

const jsonSchema = (schema: z.ZodMiniType, io: 'input' | 'output' = 'input') => z.toJSONSchema(schema, { io, unrepresentable: 'any' });

function operation(route: RouteDefinition) {
  const { body, query, rawBody, response } = route;
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const parameters: object[] = pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (query) {
    const shape = jsonSchema(query) as { properties?: Record<string, object>; required?: string[] };
    for (const [name, schema] of Object.entries(shape.properties ?? {})) {
      parameters.push({ name, in: 'query', required: shape.required?.includes(name) ?? false, schema });
    }
  }
  const op: Record<string, unknown> = {
    operationId: route.handler.replaceAll('/', '.'),
    summary: route.summary,
    'x-handler': `functions/${route.handler}.ts`,
    'x-rate-limit-per-minute': route.rateLimitPerMinute,
    parameters,
    responses: {
      '2XX': response ? { description: 'Success', content: { 'application/json': { schema: jsonSchema(response, 'output') } } } : { description: 'Success' },
      '400': errorResponse('Invalid input'),
      '413': errorResponse('Request body too large'),
      '429': errorResponse('Rate limited; see Retry-After'),
      '503': errorResponse('A data store is unavailable; see Retry-After'),
      ...(route.access === 'public' ? {} : { '401': errorResponse('Missing or dead token'), '403': errorResponse(`Needs role ${route.access}`) }),
    },
  };
  if (route.aliases?.length) op.description = `Also served at ${route.aliases.join(', ')} (scoped package names).`;
  if (route.access !== 'public') op.security = [{ bearer: [] }];
  if (body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(body) } } };
  if (rawBody) {
    const properties = Object.fromEntries(
      Object.entries(rawBody.parts).map(([name, part]) => [
        name,
        part.json ? { ...jsonSchema(part.json), description: part.description } : { type: 'string', contentMediaType: 'application/octet-stream', description: part.description },
      ]),
    );
    op.requestBody = { required: true, content: { [rawBody.contentType]: { schema: { type: 'object', required: Object.keys(rawBody.parts), properties } } } };
  }
  return op;
}

let cached: object | undefined;

/** OpenAPI 3.1, generated from the route table and the schemas the middleware validates with. */
export function openApiDocument(): object {
  if (cached) return cached;
  const paths: Record<string, Record<string, object>> = {};
  // The web catalogue's pages are HTML for people, not part of the API.
  for (const route of routes.filter((r: RouteDefinition) => !r.page)) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  cached = {
    openapi: '3.1.0',
    info: { title: `${SERVICE_NAME} (RuleStack registry)`, version: SERVICE_VERSION },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
  return cached;
}
