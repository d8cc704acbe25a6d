import type { Principal } from './Principal.js';
import { ApiError, forbidden } from '../errors.js';
import { roleAtLeast } from './roles.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { RegisterRequest } from '../users/schemas.js';
import { publicUser, type UserRecord } from '../users/User.js';
import { countedPasswordCheck, throttleAccount } from './loginThrottling.js';
import { startSession, type LoginOrigin } from './startSession.js';

/** How long after a registration an identical one counts as the client retrying it. */
const RETRY_WINDOW_MS = 10 * 60 * 1000;

/**
 * A client that timed out and sends the same registration again should get the same answer, not a
 * 409 for its own account. This finds the account such a retry would be for: same username
 * (exactly as first registered), email and role, created within the last few minutes and still
 * active. Whether the password is the same is then checked like a login (see `register`).
 */
async function retriedRegistration(deps: Dependencies, input: RegisterRequest, role: string): Promise<UserRecord | null> {
  const existing = await deps.users.findByUsername(input.username);
  if (!existing || !existing.active || existing.role !== role) return null;
  if (existing.username !== input.username || existing.email.toLowerCase() !== input.email.toLowerCase()) return null;
  if (Date.now() - existing.createdAt.getTime() > RETRY_WINDOW_MS) return null;
  return existing;
}

/**
 * Creates an account and signs it in. The unique indexes settle duplicate usernames and emails
 * (409), also between concurrent registrations. Only an admin may create an account with a role
 * above user.
 *
 * A retry of a registration that already succeeded signs the existing account in only through the
 * check login makes: one attempt counted by the login throttle before the password is verified,
 * refused (429) while the account is locked, a wrong password counted as a failed login (and
 * answered with the 409). So registering again is never a way around the login lock, nor a
 * password oracle of its own.
 */
export async function register(deps: Dependencies, input: RegisterRequest, caller: Principal | null, origin: LoginOrigin) {
  const role = input.role ?? 'user';
  if (role !== 'user' && !(caller && roleAtLeast(caller.role, 'admin'))) {
    throw forbidden('Only an admin can create an account with a role above user');
  }
  const passwordHash = await deps.passwords.hash(input.password);
  const issuedAt = Date.now();
  let user: UserRecord;
  try {
    user = await deps.users.create({ username: input.username, email: input.email, passwordHash, role });
  } catch (err) {
    const existing = err instanceof ApiError && err.status === 409 ? await retriedRegistration(deps, input, role) : null;
    if (!existing) throw err;
    const samePassword = await countedPasswordCheck(deps, throttleAccount(input.username), () =>
      deps.passwords.verify(existing.passwordHash, input.password),
    );
    if (!samePassword) throw err;
    user = existing;
  }
  const session = await startSession(deps, user, issuedAt, origin);
  const { updated_at: _updated, last_login: _last, ...fields } = publicUser(user);
  return { ...fields, ...session };
}
