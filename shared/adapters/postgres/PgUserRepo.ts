import { conflict } from '../../errors.js';
import { constraintName, sqlState, UNIQUE_VIOLATION, type Database } from '../../ports/Database.js';
import type { UserRevocation } from '../../ports/RevocationOutbox.js';
import type { AuthStateChange, NewUser, UserRepo } from '../../ports/UserRepo.js';
import type { Role } from '../../auth/roles.js';
import { toDate } from './columns.js';
import { revokeInTransaction } from './PgRevocationOutbox.js';
import type { UserRecord } from '../../users/User.js';
import { canonicalUsername } from '../../users/username.js';

interface UserRow {
  id: number;
  username: string;
  email: string;
  role: Role;
  password_hash: string;
  active: boolean;
  auth_version: number;
  created_at: Date | string;
  updated_at: Date | string;
  last_login: Date | string | null;
}

// login_locked_until (migration 005) is no longer read or written: the login lock lives in the
// DynamoDB attempt counter alone, which every attempt goes through before any hashing. The column
// can be dropped by a later migration once no deployed code selects it.
const COLUMNS = 'id, username, email, role, password_hash, active, auth_version, created_at, updated_at, last_login';

/**
 * SQL matching the username `column` against the canonical form in `param` (from
 * canonicalUsername; NULL for an invalid name matches nothing). `lower(column) = param` finds the
 * row through the unique index; the same comparison under the "C" collation, where lower() folds
 * ASCII letters only, then drops any row the database's own lower() matched by folding more than
 * ASCII (it maps "İ" to "i"). Every lookup of a user by name goes through this.
 */
export const usernameIs = (column: string, param: string) => `lower(${column}) = ${param} AND lower(${column} COLLATE "C") = ${param}`;

function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    passwordHash: row.password_hash,
    active: row.active,
    authVersion: row.auth_version,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    lastLogin: row.last_login === null ? null : toDate(row.last_login),
  };
}

function toChange(row: { id: number; auth_version: number; role: Role; active: boolean }): AuthStateChange {
  return { userId: row.id, authVersion: row.auth_version, role: row.role, active: row.active };
}

export class PgUserRepo implements UserRepo {
  constructor(private readonly db: Database) {}

  async create(user: NewUser): Promise<UserRecord> {
    try {
      const { rows } = await this.db.query<UserRow>(
        `INSERT INTO registry.users (username, email, password_hash, role)
         VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [user.username, user.email, user.passwordHash, user.role],
      );
      return toUser(rows[0]!);
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) {
        const which = constraintName(err);
        if (which === 'users_email_key') throw conflict('Email address is already registered');
        throw conflict('Username is already taken');
      }
      throw err;
    }
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const name = canonicalUsername(username);
    if (name === null) return null;
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM registry.users WHERE ${usernameIs('username', '$1')}`, [name]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findById(id: number): Promise<UserRecord | null> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM registry.users WHERE id = $1`, [id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  updatePassword(id: number, passwordHash: string, revocation: UserRevocation): Promise<AuthStateChange | null> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number; auth_version: number; role: Role; active: boolean }>(
        `UPDATE registry.users
            SET password_hash = $2, auth_version = auth_version + 1, updated_at = now()
          WHERE id = $1 AND active
          RETURNING id, auth_version, role, active`,
        [id, passwordHash],
      );
      if (!rows[0]) return null;
      await revokeInTransaction(tx, { userId: id, reason: 'password.change', ...revocation });
      return toChange(rows[0]);
    });
  }

  deactivate(id: number, revocation: UserRevocation): Promise<AuthStateChange | null> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number; auth_version: number; role: Role; active: boolean }>(
        `UPDATE registry.users
            SET active = false, auth_version = auth_version + 1, updated_at = now(), deactivated_at = now()
          WHERE id = $1 AND active AND role <> 'root'
          RETURNING id, auth_version, role, active`,
        [id],
      );
      if (!rows[0]) return null;
      await revokeInTransaction(tx, { userId: id, reason: 'account.deactivate', ...revocation });
      return toChange(rows[0]);
    });
  }

  async list(limit: number, offset: number): Promise<{ users: UserRecord[]; total: number }> {
    const { rows } = await this.db.query<UserRow & { total: number }>(
      `SELECT ${COLUMNS}, count(*) OVER ()::int AS total FROM registry.users ORDER BY id LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
    let total = rows[0]?.total;
    if (total === undefined) {
      // Past the last page the window count is not there; ask once.
      const c = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM registry.users');
      total = c.rows[0]!.n;
    }
    return { users: rows.map(toUser), total };
  }

  async setRole(username: string, role: Role): Promise<AuthStateChange | 'not-found' | 'root'> {
    const name = canonicalUsername(username);
    if (name === null) return 'not-found';
    const { rows } = await this.db.query<{ id: number; auth_version: number; role: Role; active: boolean }>(
      `UPDATE registry.users
          SET role = $2, auth_version = auth_version + 1, updated_at = now()
        WHERE ${usernameIs('username', '$1')} AND role <> 'root'
        RETURNING id, auth_version, role, active`,
      [name, role],
    );
    if (rows[0]) return toChange(rows[0]);
    const existing = await this.findByUsername(name);
    return existing?.role === 'root' ? 'root' : 'not-found';
  }

  async ensureRoot(passwordHash: string): Promise<boolean> {
    // ON CONFLICT DO NOTHING: the single-root index settles two processes starting at once.
    const { rowCount } = await this.db.query(
      `INSERT INTO registry.users (username, email, password_hash, role)
       SELECT 'root', 'root@localhost', $1, 'root'
        WHERE NOT EXISTS (SELECT 1 FROM registry.users WHERE role = 'root')
       ON CONFLICT DO NOTHING`,
      [passwordHash],
    );
    return rowCount > 0;
  }
}
