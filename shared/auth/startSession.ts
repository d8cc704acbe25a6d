import { randomBytes } from 'node:crypto';
import { serviceUnavailable } from '../errors.js';
import { SessionCollisionError } from '../ports/SessionStore.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { UserRecord } from '../users/User.js';

const MAX_COLLISION_RETRIES = 3;
const MAX_SAFE_BITS = (1n << 53n) - 1n;
/** A user agent is recorded for the user's own session list; longer ones are cut. */
const USER_AGENT_MAX = 256;

/** Where a login came from, recorded on its session once. */
export interface LoginOrigin {
  clientAddress: string;
  userAgent: string;
}

/**
 * A session's public number: uniformly random in [1, 2^53-1] from the CSPRNG. A number rather
 * than a string because clients decode `session_id` as an integer; at most 2^53-1 so that
 * JavaScript reads it exactly. Random rather than a sequence, so a login adds no hot key.
 */
export function newSessionId(): number {
  for (;;) {
    const n = Number(randomBytes(8).readBigUInt64BE() & MAX_SAFE_BITS);
    if (n > 0) return n;
  }
}

/**
 * Issues a fresh token and stores its session with a conditional put. Tokens carry a random
 * jti, so a collision is practically impossible; if one happens anyway it is retried with a new
 * token, never surfaced as an error ("Failed to create session").
 * `issuedAt` is when the caller read the user row: a revocation after that moment wins.
 */
export async function startSession(deps: Dependencies, user: UserRecord, issuedAt: number, origin: LoginOrigin) {
  for (let attempt = 0; attempt < MAX_COLLISION_RETRIES; attempt++) {
    const issued = await deps.tokens.issue(user.id);
    const sessionId = newSessionId();
    try {
      await deps.sessions.create({
        tokenHash: issued.tokenHash,
        sessionId,
        userId: user.id,
        username: user.username,
        role: user.role,
        issuedAt,
        createdAt: Date.now(),
        expiresAt: issued.expiresAt,
        clientAddress: origin.clientAddress,
        userAgent: origin.userAgent.slice(0, USER_AGENT_MAX),
      });
    } catch (err) {
      if (err instanceof SessionCollisionError) continue;
      throw err;
    }
    return {
      token: issued.token,
      expires_at: new Date(issued.expiresAt).toISOString(),
      user: { id: user.id, username: user.username, email: user.email, role: user.role },
      session_id: sessionId,
    };
  }
  throw serviceUnavailable('Could not start a session, please retry');
}
