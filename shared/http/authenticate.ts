import type { Principal } from '../auth/Principal.js';
import { hashApiToken, isWellFormedApiToken, looksLikeApiToken } from '../auth/apiTokens.js';
import { unauthorized } from '../errors.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { HttpEvent } from './types.js';

// One message for every kind of bad token, so a caller learns nothing about why.
export const INVALID_TOKEN = 'Invalid or expired token';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const authorizationHeader = (event: HttpEvent) => event.headers?.authorization ?? event.headers?.Authorization;

/** The bearer token of a route that needs one: null without the header, 401 when it is malformed. */
export function bearerToken(event: HttpEvent): string | null {
  const header = authorizationHeader(event);
  if (!header) return null;
  const m = BEARER.exec(header);
  if (!m) throw unauthorized(INVALID_TOKEN);
  return m[1]!;
}

/**
 * The bearer token where signing in is optional (public routes): an Authorization header that is
 * not a bearer token (`Basic ...`, garbage) is ignored like a dead token, never a 401.
 */
export function optionalBearerToken(event: HttpEvent): string | null {
  return BEARER.exec(authorizationHeader(event) ?? '')?.[1] ?? null;
}

/**
 * Token verify (CPU) plus one consistent DynamoDB read of the session and its user's auth
 * state. Writes nothing. Throws 401 for any token that is not alive.
 */
export async function authenticate(deps: Dependencies, token: string, now = Date.now()): Promise<Principal> {
  if (looksLikeApiToken(token)) return authenticateApiToken(deps, token, now);
  const verified = await deps.tokens.verify(token);
  if (!verified) throw unauthorized(INVALID_TOKEN);
  const { session, state } = await deps.sessions.lookup(verified.tokenHash, verified.userId);
  if (!session || session.userId !== verified.userId || session.expiresAt <= now) throw unauthorized(INVALID_TOKEN);
  if (state && (!state.active || session.issuedAt < state.revokedBefore)) throw unauthorized(INVALID_TOKEN);
  return {
    userId: session.userId,
    username: session.username,
    role: state?.role ?? session.role,
    tokenHash: session.tokenHash,
  };
}

/**
 * An API token: shape and checksum (CPU), its grant (one consistent read), then its creator's
 * auth state (one more): a deactivated creator's tokens die with the account, and a role change
 * applies at once. Membership in the registry is checked where it is used, in SQL.
 */
async function authenticateApiToken(deps: Dependencies, token: string, now: number): Promise<Principal> {
  if (!isWellFormedApiToken(token)) throw unauthorized(INVALID_TOKEN);
  const tokenHash = hashApiToken(token);
  const grant = await deps.apiTokens.get(tokenHash);
  if (!grant || grant.expiresAt <= now) throw unauthorized(INVALID_TOKEN);
  const state = await deps.sessions.userState(grant.userId);
  if (state && !state.active) throw unauthorized(INVALID_TOKEN);
  return {
    userId: grant.userId,
    username: grant.username,
    role: state?.role ?? grant.role,
    tokenHash,
    apiToken: { id: grant.tokenId, registry: grant.registry, scopes: grant.scopes },
  };
}
