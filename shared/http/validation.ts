import type { z } from 'zod';
import { badRequest } from '../errors.js';

/** Parses input with a schema; the first problem becomes a 400 a person can act on. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: 'body' | 'query' | 'manifest'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : '';
  // Body fields are named as they are (`username`); manifest fields with their document's name.
  const where =
    what === 'manifest' ? (path ? `manifest.${path}` : 'manifest') : path || (what === 'body' ? 'request body' : 'query');
  throw badRequest(`Invalid ${where}: ${issue?.message ?? 'malformed input'}`);
}
