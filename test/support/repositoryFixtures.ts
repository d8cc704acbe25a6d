import { PgUserRepo } from '../../shared/adapters/postgres/PgUserRepo.js';
import type { Principal } from '../../shared/auth/Principal.js';
import type { Role } from '../../shared/auth/roles.js';
import type { Database } from '../../shared/ports/Database.js';

// What the repository suites build their cases from.

/** A well-formed SHA-256 (64 hex digits) numbered `n`: a distinct archive per number. */
export const fakeSha256 = (n: number) => n.toString(16).padStart(64, '0');

/** Who made a change and from where, as the use cases hand it to the audit log. */
export const auditContext = (actor: Principal) => ({ actor, sourceIp: '127.0.0.1' });

/** A stored user of `role`, as the principal a session of theirs carries. */
export async function createPrincipal(db: Database, username: string, role: Role): Promise<Principal> {
  const u = await new PgUserRepo(db).create({ username, email: `${username}@example.com`, passwordHash: 'h', role });
  return { userId: u.id, username, role, tokenHash: 'x' };
}
