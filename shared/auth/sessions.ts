import { badRequest, notFound } from '../errors.js';
import type { Session, UserAuthState } from '../ports/SessionStore.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { Principal } from './Principal.js';

/** Sessions shown in one listing at most, the newest first. */
export const SESSION_LIST_LIMIT = 100;

/** Alive as authentication judges it: not expired, not revoked, the account active. */
function isLive(s: Session, state: UserAuthState | null, now: number): boolean {
  return s.expiresAt > now && (!state || (state.active && s.issuedAt >= state.revokedBefore));
}

/**
 * The caller's live sessions: one Query of the user index and consistent BatchGets, no SQL.
 * What is shown was recorded at login and is never updated (no write per request).
 */
export async function listSessions(deps: Dependencies, caller: Principal, now = Date.now()) {
  const { sessions, state } = await deps.sessions.listForUser(caller.userId, SESSION_LIST_LIMIT);
  return {
    sessions: sessions
      .filter((s) => isLive(s, state, now))
      .map((s) => ({
        id: s.sessionId,
        created_at: new Date(s.createdAt).toISOString(),
        expires_at: new Date(s.expiresAt).toISOString(),
        client_address: s.clientAddress || null,
        user_agent: s.userAgent || null,
        current: s.tokenHash === caller.tokenHash,
      })),
  };
}

/** A session number from a path: a whole number in [1, 2^53-1]. */
export function parseSessionId(raw: string): number {
  const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw badRequest('A session id is a whole number from 1 to 9007199254740991');
  return id;
}

/**
 * Ends one of the caller's own live sessions (the current one too: that is a logout). Sessions
 * are looked up among the caller's only, so another user's number is simply not found.
 */
export async function endSession(deps: Dependencies, caller: Principal, sessionId: number, now = Date.now()) {
  const { sessions, state } = await deps.sessions.listForUser(caller.userId, Number.MAX_SAFE_INTEGER);
  const target = sessions.find((s) => s.sessionId === sessionId && isLive(s, state, now));
  if (!target) throw notFound(`Session ${sessionId} not found`);
  await deps.sessions.delete(target.tokenHash);
  return { message: target.tokenHash === caller.tokenHash ? 'Session ended; this was the current session' : 'Session ended' };
}
