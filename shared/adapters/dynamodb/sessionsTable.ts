/**
 * The DynamoDB sessions table, as both the CDK stack and the local bootstrap create it.
 * One table, one string key `pk`:
 *   session#<sha256 of token>  a session (user_id, username, role, issued_at, expires_at)
 *   user#<id>                  the user's auth state (auth_version, role, active, revoked_before)
 *   throttle#login#<account>#<window>  login attempts of one account (canonical username) in one
 *                                      window: ids of attempts in flight or failed (held), failed
 *   apitoken#<sha256 of secret>  an API token grant (token id, user, registry, scopes, expiry)
 * `expires_at` (epoch seconds) is the TTL attribute; the `by_user` GSI finds a user's sessions
 * for clean-up.
 */
export const SESSIONS_TABLE = {
  partitionKey: 'pk',
  ttlAttribute: 'expires_at',
  userIndex: { name: 'by_user', partitionKey: 'user_id' },
} as const;

export const sessionKey = (tokenHash: string) => `session#${tokenHash}`;
export const userStateKey = (userId: number) => `user#${userId}`;
export const apiTokenKey = (tokenHash: string) => `apitoken#${tokenHash}`;
export const loginThrottleKey = (account: string, windowStart: number) => `throttle#login#${account}#${windowStart}`;
