import type { SqlClient, Database } from '../../ports/Database.js';
import type { AuditContext } from '../../ports/RegistryRepo.js';
import type { PendingRevocation, RevocationOutbox } from '../../ports/RevocationOutbox.js';
import type { Role } from '../../auth/roles.js';
import { appendAudit } from './auditLog.js';

/** What one change revokes, written in that change's transaction by `revokeInTransaction`. */
export interface RevocationInTransaction {
  userId: number;
  /** Why, recorded in each token's audit record (`details.reason`) and on the outbox row. */
  reason: 'password.change' | 'account.deactivate' | 'member.remove' | 'member.demote';
  audit: AuditContext;
  /** Only the tokens of this registry (membership changes); all of the user's otherwise. */
  registryId?: number;
  /** Only the tokens carrying this scope (a demotion below what the scope needs). */
  onlyScope?: 'publish';
  /** Sessions of the user issued before this (ms since epoch) end too. */
  revokeBefore?: number;
  /** The session that made the change, which survives it. */
  keepSession?: string;
}

/**
 * In the caller's transaction: marks the user's live API tokens (of the registry, with the scope,
 * when given) revoked, audits each in its registry, and writes the outbox row that carries the
 * rest to DynamoDB. The change, the revoked rows, their audit records and the outbox row commit
 * together or not at all. Returns how many tokens were revoked.
 */
export async function revokeInTransaction(tx: SqlClient, r: RevocationInTransaction): Promise<number> {
  const { rows } = await tx.query<{ id: string; registry_id: number; name: string; token_hash: string }>(
    `UPDATE registry.api_tokens SET revoked_at = now()
      WHERE user_id = $1::int AND revoked_at IS NULL AND expires_at > now()
        AND ($2::int IS NULL OR registry_id = $2::int)
        AND ($3::text IS NULL OR $3::text = ANY (scopes))
      RETURNING id, registry_id, name, token_hash`,
    [r.userId, r.registryId ?? null, r.onlyScope ?? null],
  );
  for (const t of rows) await appendAudit(tx, t.registry_id, r.audit, 'token.revoke', t.name, { token_id: t.id, reason: r.reason });
  if (rows.length > 0 || r.revokeBefore !== undefined) {
    await tx.query(
      `INSERT INTO registry.pending_revocations (user_id, revoke_before, keep_session, token_hashes, reason)
       VALUES ($1::int, $2::bigint, $3::text, $4::text[], $5::text)`,
      [r.userId, r.revokeBefore ?? null, r.keepSession ?? null, rows.map((t) => t.token_hash), r.reason],
    );
  }
  return rows.length;
}

export class PgRevocationOutbox implements RevocationOutbox {
  constructor(private readonly db: Database) {}

  async pending(limit: number, userId?: number): Promise<PendingRevocation[]> {
    const { rows } = await this.db.query<{
      id: string;
      user_id: number;
      revoke_before: string | null;
      keep_session: string | null;
      token_hashes: string[] | null;
      auth_version: number;
      role: Role;
      active: boolean;
    }>(
      `SELECT p.id::text AS id, p.user_id, p.revoke_before::text AS revoke_before, p.keep_session, p.token_hashes,
              u.auth_version, u.role, u.active
         FROM registry.pending_revocations p JOIN registry.users u ON u.id = p.user_id
        WHERE ($1::int IS NULL OR p.user_id = $1::int)
        ORDER BY p.id
        LIMIT $2::int`,
      [userId ?? null, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      revokeBefore: r.revoke_before === null ? null : Number(r.revoke_before),
      state: { userId: r.user_id, authVersion: r.auth_version, role: r.role, active: r.active },
      keepSession: r.keep_session,
      tokenHashes: r.token_hashes ?? [],
    }));
  }

  async complete(id: string): Promise<void> {
    await this.db.query('DELETE FROM registry.pending_revocations WHERE id = $1::bigint', [id]);
  }
}
