import { serviceUnavailable } from '../errors.js';
import { SessionCollisionError } from '../ports/SessionStore.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { UserRecord } from '../users/User.js';

const MAX_COLLISION_RETRIES = 3;

/**
 * Issues a fresh token and stores its session with a conditional put. Tokens carry a random
 * jti, so a collision is practically impossible; if one happens anyway it is retried with a new
 * token, never surfaced as an error (the old server's "Failed to create session").
 * `issuedAt` is when the caller read the user row: a revocation after that moment wins.
 */
export async function startSession(deps: Dependencies, user: UserRecord, issuedAt: number) {
  for (let attempt = 0; attempt < MAX_COLLISION_RETRIES; attempt++) {
    const issued = await deps.tokens.issue(user.id);
    try {
      await deps.sessions.create({
        tokenHash: issued.tokenHash,
        userId: user.id,
        username: user.username,
        role: user.role,
        issuedAt,
        expiresAt: issued.expiresAt,
      });
    } catch (err) {
      if (err instanceof SessionCollisionError) continue;
      throw err;
    }
    return {
      token: issued.token,
      expires_at: new Date(issued.expiresAt).toISOString(),
      user: { id: user.id, username: user.username, email: user.email, role: user.role },
      session_id: issued.jti,
    };
  }
  throw serviceUnavailable('Could not start a session, please retry');
}
