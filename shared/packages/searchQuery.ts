import { z } from 'zod';

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
