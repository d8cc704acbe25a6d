import type { Principal } from '../auth/Principal.js';
import { unauthorized } from '../errors.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { HttpEvent } from './types.js';

// One message for every kind of bad token, so a caller learns nothing about why.
export const INVALID_TOKEN = 'Invalid or expired token';

export function bearerToken(event: HttpEvent): string | null {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw unauthorized(INVALID_TOKEN);
  return m[1]!;
}

/**
 * Token verify (CPU) plus one consistent DynamoDB read of the session and its user's auth
 * state. Writes nothing. Throws 401 for any token that is not alive.
 */
export async function authenticate(deps: Dependencies, token: string, now = Date.now()): Promise<Principal> {
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
