import { z } from 'zod';
import { createRegistryRequest, createTokenRequest, memberRequest, updateRegistryRequest } from '../registries/Registry.js';
import { assignableRole, changePasswordRequest, loginRequest, registerRequest } from '../users/schemas.js';

/**
 * Search text as PostgreSQL's web-search syntax reads it, minus what it cannot parse: there a `-`
 * before a word negates it, and a run of `-` without a word between them nests negations until
 * the parser gives up ("tsquery is too complex", or "stack too small" before PostgreSQL 16). A
 * hyphen that neither follows nor precedes a letter or digit negates nothing, so it becomes a
 * space; `-word`, `my-rules` and `rules-` are kept as typed.
 */
export function searchText(q: string): string {
  return q.replace(/(?<![\p{L}\p{N}])-+(?![\p{L}\p{N}])/gu, ' ');
}

export const searchQuery = z.object({
  q: z.string().max(256, 'must be at most 256 characters').optional().default('').transform(searchText),
  tag: z.string().max(50, 'must be at most 50 characters').optional(),
  target: z.string().max(50, 'must be at most 50 characters').optional(),
  // Larger limits are capped rather than refused: the client may ask for "everything".
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .default(20)
    .transform((n) => Math.min(n, 100)),
  offset: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(10_000, 'must be at most 10000').default(0),
});

export const pageQuery = z.object({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
  offset: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').default(0),
});

export const roleChangeRequest = z.object({ role: assignableRole });

/**
 * Input schemas per route. The middleware validates every request with these, and the OpenAPI
 * document is generated from them, so the documentation cannot drift from what is enforced.
 */
export const routeSchemas = {
  'POST /v1/auth/register': { body: registerRequest },
  'POST /v1/auth/login': { body: loginRequest },
  'POST /v1/auth/change-password': { body: changePasswordRequest },
  'GET /v1/packages': { query: searchQuery },
  'GET /v1/admin/users': { query: pageQuery },
  'PUT /v1/admin/users/{username}/role': { body: roleChangeRequest },
  'POST /v1/registries': { body: createRegistryRequest },
  'PATCH /v1/registries/{registry}': { body: updateRegistryRequest },
  'PUT /v1/registries/{registry}/members/{username}': { body: memberRequest },
  'POST /v1/registries/{registry}/tokens': { body: createTokenRequest },
  'GET /v1/registries/{registry}/audit': { query: pageQuery },
} as const satisfies Record<string, { body?: z.ZodType; query?: z.ZodType }>;


type Schemas = typeof routeSchemas;
export type BodyOf<K extends string> = K extends keyof Schemas ? (Schemas[K] extends { body: infer B extends z.ZodType } ? z.output<B> : undefined) : undefined;
export type QueryOf<K extends string> = K extends keyof Schemas ? (Schemas[K] extends { query: infer Q extends z.ZodType } ? z.output<Q> : undefined) : undefined;

export function schemasFor(key: string): { body?: z.ZodType; query?: z.ZodType } {
  return (routeSchemas as Record<string, { body?: z.ZodType; query?: z.ZodType }>)[key] ?? {};
}
