import type { Principal } from './Principal.js';
import { forbidden } from '../errors.js';
import { roleAtLeast } from '../routes.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import type { RegisterRequest } from '../users/schemas.js';
import { publicUser } from '../users/User.js';
import { startSession } from './startSession.js';

/**
 * Creates an account and signs it in. The unique indexes settle duplicate usernames and emails
 * (409), also between concurrent registrations. Only an admin may create an account with a role
 * above user.
 */
export async function register(deps: Dependencies, input: RegisterRequest, caller: Principal | null) {
  const role = input.role ?? 'user';
  if (role !== 'user' && !(caller && roleAtLeast(caller.role, 'admin'))) {
    throw forbidden('Only an admin can create an account with a role above user');
  }
  const passwordHash = await deps.passwords.hash(input.password);
  const issuedAt = Date.now();
  const user = await deps.users.create({ username: input.username, email: input.email, passwordHash, role });
  const session = await startSession(deps, user, issuedAt);
  const { updated_at: _updated, last_login: _last, ...fields } = publicUser(user);
  return { ...fields, ...session };
}
