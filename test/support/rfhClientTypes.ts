import { z } from 'zod';

/**
 * The types the `rfh` client decodes responses into, written from the client's side (the type
 * table of docs/RFH_CLIENT.md), never from this server's code: nothing here imports from
 * shared/, so a type mistake in the server cannot be mirrored here and go unnoticed.
 *
 * Auth responses are decoded into fixed Go structs: a field of the wrong JSON type fails the
 * whole command. The other responses are read as loose maps, where a wrong type silently empties
 * a field; the schemas hold those to the types the client prints, so that fails here instead.
 */

/** A Go `int` read from JSON: an integer literal; at most 2^53-1 so JavaScript clients read it exactly too. */
export const goInt = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

/**
 * A Go `time.Time` read from JSON: a string in RFC 3339 (`2006-01-02T15:04:05Z07:00`, optional
 * fraction of a second), nothing looser (`2026-12-01 06:45:23`, a number, a date alone all fail).
 */
export const rfc3339 = z.string().refine((s) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/.exec(s);
  if (!m) return false;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(Number(m[1]), month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59;
}, 'not an RFC 3339 time');

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'not 64 lowercase hex characters');

/** `AuthResponse`: login and register. */
export const authResponse = z.object({
  token: z.string().min(1),
  expires_at: rfc3339,
  user: z.object({ id: goInt, username: z.string(), email: z.string(), role: z.string() }),
  /** A Go `int`: a string here broke every login. */
  session_id: goInt.min(1),
});

/** `UserProfile`: `rfh auth whoami`. */
export const userProfile = z.object({
  id: goInt,
  username: z.string(),
  email: z.string(),
  role: z.string(),
  created_at: rfc3339,
  updated_at: rfc3339,
  /** `*time.Time`: null or a time. */
  last_login: rfc3339.nullable(),
});

/** A search row (`MapToPackage`): printed as `name@latest`, then the versions joined by commas. */
export const searchRow = z.object({
  name: z.string(),
  description: z.string(),
  latest: z.string(),
  versions: z.array(z.string()),
  tags: z.array(z.string()),
});
export const searchResults = z.array(searchRow);

/** `GET /v1/packages/{name}` (`MapToPackage`). */
export const packageInfo = searchRow;

/** `GET /v1/packages/{name}/versions/{version}` (`MapToPackageVersion`); `rfh add` fails without sha256. */
export const packageVersion = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string(),
  sha256: sha256Hex,
});

/** A publish's answer (200 or 201): the client prints version and sha256. */
export const publishResult = z.object({ name: z.string(), version: z.string(), sha256: sha256Hex });

/** Any error: `error` is a string, printed as is. */
export const errorBody = z.object({ error: z.string().min(1) });
