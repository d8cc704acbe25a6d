import * as z from 'zod/mini';

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
  q: z.pipe(
    z._default(z.optional(z.string().check(z.maxLength(256, 'must be at most 256 characters'))), ''),
    z.transform(searchText),
  ),
  tag: z.optional(z.string().check(z.maxLength(50, 'must be at most 50 characters'))),
  target: z.optional(z.string().check(z.maxLength(50, 'must be at most 50 characters'))),
  // Larger limits are capped rather than refused: the client may ask for "everything".
  limit: z._default(
    z.pipe(
      z.coerce.number({ error: 'must be a number' }),
      z.pipe(z.int({ error: 'must be a whole number' }).check(z.minimum(1, 'must be at least 1')), z.transform((n: number) => Math.min(n, 100))),
    ),
    20,
  ),
  offset: z._default(
    z.pipe(
      z.coerce.number({ error: 'must be a number' }),
      z.int({ error: 'must be a whole number' }).check(z.minimum(0, 'must be 0 or more'), z.maximum(10_000, 'must be at most 10000')),
    ),
    0,
  ),
});
