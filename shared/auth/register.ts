import type { Principal } from './Principal.js';
import { ApiError, forbidden } from '../errors.js';
import { roleAtLeast } from '../routes.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { RegisterRequest } from '../users/schemas.js';
import { publicUser, type UserRecord } from '../users/User.js';
import { startSession, type LoginOrigin } from './startSession.js';

/** How long after a registration an identical one counts as the client retrying it. */
const RETRY_WINDOW_MS = 10 * 60 * 1000;

/**
 * A client that timed out and sends the same registration again must get the same answer, not a
 * 409 for its own account: same username, email, role and password, within a few minutes, while
 * the account is still active. Anyone else gets the 409.
 */
async function sameRegistration(deps: Dependencies, input: RegisterRequest, role: string): Promise<UserRecord | null> {
  const existing = await deps.users.findByUsername(input.username);
  if (!existing || !existing.active || existing.role !== role) return null;
  if (existing.username !== input.username || existing.email.toLowerCase() !== input.email.toLowerCase()) return null;
  if (Date.now() - existing.createdAt.getTime() > RETRY_WINDOW_MS) return null;
  return (await deps.passwords.verify(existing.passwordHash, input.password)) ? existing : null;
}

/**
 * Creates an account and signs it in. The unique indexes settle duplicate usernames and emails
 * (409), also between concurrent registrations. Only an admin may create an account with a role
 * above user.
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
    const retried = err instanceof ApiError && err.status === 409 ? await sameRegistration(deps, input, role) : null;
    if (!retried) throw err;
    user = retried;
  }
  const session = await startSession(deps, user, issuedAt, origin);
  const { updated_at: _updated, last_login: _last, ...fields } = publicUser(user);
  return { ...fields, ...session };
}
