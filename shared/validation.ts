import type * as z from 'zod/mini';
import { badRequest } from './errors.js';

/**
 * How deeply a request body or a manifest may nest. The API's own documents are two levels deep;
 * the bound keeps recursive work on parsed input (serialising it for storage, validating it)
 * far from the call stack's limit.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * C0 control characters no text of this API has a use for: everything below U+0020 except tab,
 * line feed and carriage return (which descriptions may contain). NUL in particular can never be
 * stored: PostgreSQL refuses it in text and JSON.
 */
const UNWANTED_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/** Any control character (C0 and DEL): for identifiers and path segments. */
export const ANY_CONTROL = /[\u0000-\u001F\u007F]/;

export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters (such as NUL)';

/** Half of a UTF-16 surrogate pair without the other half (`"\ud800"` in JSON): not text at all. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATE_MESSAGE = 'must be valid Unicode text (it contains half of a surrogate pair)';

/** Why a string cannot be taken as text, if it cannot. */
function textProblem(value: string): string | undefined {
  if (UNWANTED_CONTROL.test(value)) return CONTROL_CHARACTER_MESSAGE;
  if (LONE_SURROGATE.test(value)) return LONE_SURROGATE_MESSAGE;
  return undefined;
}

type What = 'body' | 'query' | 'manifest';

function describe(what: What, path: readonly PropertyKey[]): string {
  const joined = path.map(String).join('.');
  // Body fields are named as they are (`username`); manifest fields with their document's name.
  if (what === 'manifest') return joined ? `manifest.${joined}` : 'manifest';
  return joined || (what === 'body' ? 'request body' : 'query');
}

/**
 * Checks what no schema should have to: nesting depth, and every string and key is text that can
 * be stored (no stray control characters, no lone surrogates). Iterative, so arbitrarily deep
 * input cannot overflow the stack here.
 */
export function checkStructure(input: unknown, what: What): void {
  const pending: { value: unknown; path: PropertyKey[] }[] = [{ value: input, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) throw badRequest(`Invalid ${describe(what, path)}: ${problem}`);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_JSON_DEPTH) {
      throw badRequest(`Invalid ${describe(what, path)}: nested too deeply (at most ${MAX_JSON_DEPTH} levels)`);
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = textProblem(key);
      if (problem) throw badRequest(`Invalid ${describe(what, path)}: keys ${problem}`);
      pending.push({ value: item, path: [...path, Array.isArray(value) ? Number(key) : key] });
    }
  }
}

/**
 * Parses input (a request body, a query, a manifest) with a schema; the first problem becomes a
 * 400 a person can act on. Before the schema, every input is bounded in depth and refused if any
 * of its strings or keys is not storable text (a control character no field takes, a lone surrogate).
 */
export function parseWith<S extends z.ZodMiniType>(schema: S, input: unknown, what: What): z.infer<S> {
  checkStructure(input, what);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw badRequest(`Invalid ${describe(what, issue?.path ?? [])}: ${issue?.message ?? 'malformed input'}`);
}
