import { enforce, type Authorize } from '../../auth/decision.js';
import { ApiError, conflict, notFound } from '../../errors.js';
import type { Database, SqlClient } from '../../ports/Database.js';
import { sqlState, UNIQUE_VIOLATION } from '../../ports/Database.js';
import type { ApiTokenRecord, AuditContext, AuditRecord, MemberChange, RegistryMember, RegistryRepo } from '../../ports/RegistryRepo.js';
import type { CreateRegistryRequest, RegistryRecord, RegistryRole, UpdateRegistryRequest } from '../../registries/Registry.js';
import { visibleRegistrySql, viewerParams, type Viewer } from '../../registries/Viewer.js';
import { registryRoleMayPublish, type RegistryCreationFacts, type TokenCreationFacts } from '../../registries/rights.js';
import { canonicalUsername } from '../../users/username.js';
import { toDate, toDateOrNull } from './columns.js';
import { usernameIs } from './PgUserRepo.js';
import { appendAudit } from './auditLog.js';
import { revokeInTransaction } from './PgRevocationOutbox.js';

interface RegistryRow {
  id: number;
  name: string;
  description: string;
  visibility: 'public' | 'private';
  config_version: number;
  refused_flag_rules: string[];
  created_by: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  role?: RegistryRole | null;
}


function toRegistry(r: RegistryRow): RegistryRecord {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    visibility: r.visibility,
    configVersion: r.config_version,
    refusedFlagRules: r.refused_flag_rules,
    createdBy: r.created_by,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

const REGISTRY_COLUMNS = `r.id, r.name, r.description, r.visibility, r.config_version, r.refused_flag_rules,
  (SELECT u.username FROM registry.users u WHERE u.id = r.created_by) AS created_by, r.created_at, r.updated_at`;

export class PgRegistryRepo implements RegistryRepo {
  constructor(private readonly db: Database) {}

  async listVisible(viewer: Viewer) {
    const { rows } = await this.db.query<RegistryRow>(
      `SELECT ${REGISTRY_COLUMNS},
              (SELECT m.role FROM registry.registry_members m WHERE m.registry_id = r.id AND m.user_id = $1::int) AS role
         FROM registry.registries r
        WHERE ${visibleRegistrySql(1)}
        ORDER BY r.name`,
      viewerParams(viewer),
    );
    return rows.map((r) => ({ registry: toRegistry(r), role: r.role ?? null }));
  }

  create(input: CreateRegistryRequest, ctx: AuditContext, authorize: Authorize<RegistryCreationFacts>): Promise<RegistryRecord> {
    return this.db.transaction(async (tx) => {
      // Locking the creator's row serialises one user's creations, so what is decided on the count
      // (the per-user cap) holds under races.
      await tx.query('SELECT 1 FROM registry.users WHERE id = $1 FOR UPDATE', [ctx.actor.userId]);
      const { rows: counted } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM registry.registries WHERE created_by = $1', [
        ctx.actor.userId,
      ]);
      enforce(authorize({ createdByCreator: counted[0]!.n }));
      let id: number;
      try {
        const { rows } = await tx.query<{ id: number }>(
          `INSERT INTO registry.registries (name, description, visibility, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
          [input.name, input.description, input.visibility, ctx.actor.userId],
        );
        id = rows[0]!.id;
      } catch (err) {
        if (sqlState(err) === UNIQUE_VIOLATION) throw conflict(`Registry name "${input.name}" is taken`);
        throw err;
      }
      await tx.query(`INSERT INTO registry.registry_members (registry_id, user_id, role) VALUES ($1, $2, 'admin')`, [id, ctx.actor.userId]);
      await appendAudit(tx, id, ctx, 'registry.create', input.name, { visibility: input.visibility });
      return (await this.byId(tx, id))!;
    });
  }

  private async byId(db: SqlClient, id: number): Promise<RegistryRecord | null> {
    const { rows } = await db.query<RegistryRow>(`SELECT ${REGISTRY_COLUMNS} FROM registry.registries r WHERE r.id = $1`, [id]);
    return rows[0] ? toRegistry(rows[0]) : null;
  }

  async access(name: string, viewer: Viewer) {
    const { rows } = await this.db.query<RegistryRow>(
      `SELECT ${REGISTRY_COLUMNS},
              (SELECT m.role FROM registry.registry_members m WHERE m.registry_id = r.id AND m.user_id = $1::int) AS role
         FROM registry.registries r
        WHERE r.name = $4 AND ${visibleRegistrySql(1)}`,
      [...viewerParams(viewer), name],
    );
    const r = rows[0];
    return r ? { registry: toRegistry(r), role: r.role ?? null } : null;
  }

  update(registryId: number, expectedVersion: number, changes: UpdateRegistryRequest, ctx: AuditContext): Promise<RegistryRecord> {
    return this.db.transaction(async (tx) => {
      // The version condition is the whole concurrency control: of two admins who read
      // version n, the first UPDATE moves it to n+1 and the second matches no row.
      const { rows } = await tx.query<{ id: number }>(
        `UPDATE registry.registries
            SET description = coalesce($3, description), visibility = coalesce($4, visibility),
                refused_flag_rules = coalesce($5::text[], refused_flag_rules),
                config_version = config_version + 1, updated_at = now()
          WHERE id = $1 AND config_version = $2
          RETURNING id`,
        [registryId, expectedVersion, changes.description ?? null, changes.visibility ?? null, changes.safety?.refuse ?? null],
      );
      if (!rows[0]) {
        throw new ApiError(412, 'The registry was changed since you read it: reload it and apply your change to the new version');
      }
      await appendAudit(tx, registryId, ctx, 'registry.update', null, { ...changes, from_version: expectedVersion });
      return (await this.byId(tx, registryId))!;
    });
  }

  private async members(db: SqlClient, registryId: number): Promise<RegistryMember[]> {
    const { rows } = await db.query<{ username: string; role: RegistryRole; added_at: Date | string }>(
      `SELECT u.username, m.role, m.added_at FROM registry.registry_members m JOIN registry.users u ON u.id = m.user_id
        WHERE m.registry_id = $1 ORDER BY m.added_at, u.username`,
      [registryId],
    );
    return rows.map((r) => ({ username: r.username, role: r.role, addedAt: toDate(r.added_at) }));
  }

  listMembers(registryId: number): Promise<RegistryMember[]> {
    return this.members(this.db, registryId);
  }

  /** Locks the registry row: member changes of one registry happen one at a time. */
  private async lockRegistry(tx: SqlClient, registryId: number): Promise<void> {
    await tx.query('SELECT 1 FROM registry.registries WHERE id = $1 FOR UPDATE', [registryId]);
  }

  private async adminCount(tx: SqlClient, registryId: number): Promise<number> {
    const { rows } = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM registry.registry_members WHERE registry_id = $1 AND role = 'admin'`,
      [registryId],
    );
    return rows[0]!.n;
  }

  setMember(registryId: number, username: string, role: RegistryRole, ctx: AuditContext): Promise<MemberChange> {
    return this.db.transaction(async (tx) => {
      await this.lockRegistry(tx, registryId);
      const { rows: users } = await tx.query<{ id: number; username: string }>(
        `SELECT id, username FROM registry.users WHERE ${usernameIs('username', '$1')} AND active`,
        [canonicalUsername(username)],
      );
      const user = users[0];
      if (!user) throw notFound(`User ${username} not found`);
      const { rows: current } = await tx.query<{ role: RegistryRole }>(
        'SELECT role FROM registry.registry_members WHERE registry_id = $1 AND user_id = $2',
        [registryId, user.id],
      );
      const before = current[0]?.role ?? null;
      if (before === 'admin' && role !== 'admin' && (await this.adminCount(tx, registryId)) === 1) {
        throw conflict(`${user.username} is the last admin of this registry and cannot be demoted`);
      }
      await tx.query(
        `INSERT INTO registry.registry_members (registry_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (registry_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
        [registryId, user.id, role],
      );
      if (before !== role) await appendAudit(tx, registryId, ctx, 'member.set', user.username, { from: before, to: role });
      // A demotion below what the publish scope needs ends the member's tokens that carry it
      // (after the member.set record, so the audit log reads in order).
      let revoked = 0;
      if (registryRoleMayPublish(before) && !registryRoleMayPublish(role)) {
        revoked = await revokeInTransaction(tx, { userId: user.id, registryId, onlyScope: 'publish', reason: 'member.demote', audit: ctx });
      }
      return { members: await this.members(tx, registryId), revokedTokensOf: revoked > 0 ? user.id : null };
    });
  }

  removeMember(registryId: number, username: string, ctx: AuditContext): Promise<MemberChange> {
    return this.db.transaction(async (tx) => {
      await this.lockRegistry(tx, registryId);
      const { rows } = await tx.query<{ user_id: number; role: RegistryRole; username: string }>(
        `SELECT m.user_id, m.role, u.username FROM registry.registry_members m JOIN registry.users u ON u.id = m.user_id
          WHERE m.registry_id = $1 AND ${usernameIs('u.username', '$2')}`,
        [registryId, canonicalUsername(username)],
      );
      const member = rows[0];
      if (!member) throw notFound(`${username} is not a member of this registry`);
      if (member.role === 'admin' && (await this.adminCount(tx, registryId)) === 1) {
        throw conflict(`${member.username} is the last admin of this registry and cannot be removed`);
      }
      await tx.query('DELETE FROM registry.registry_members WHERE registry_id = $1 AND user_id = $2', [registryId, member.user_id]);
      await appendAudit(tx, registryId, ctx, 'member.remove', member.username, { role: member.role });
      const revoked = await revokeInTransaction(tx, { userId: member.user_id, registryId, reason: 'member.remove', audit: ctx });
      return { members: await this.members(tx, registryId), revokedTokensOf: revoked > 0 ? member.user_id : null };
    });
  }

  createToken(
    registryId: number,
    token: { id: string; name: string; scopes: Array<'read' | 'publish'>; tokenHash: string; expiresAt: Date },
    ctx: AuditContext,
    authorize: Authorize<TokenCreationFacts | null>,
  ): Promise<ApiTokenRecord> {
    return this.db.transaction(async (tx) => {
      // The registry row is what member changes lock, the user row what password changes and
      // deactivation update: holding both (shared) until commit, a member change, password change
      // or deactivation either committed before (and is seen here) or sees this token.
      const { rows: access } = await tx.query<{ visibility: 'public' | 'private'; role: RegistryRole | null; active: boolean }>(
        `SELECT r.visibility, m.role, u.active
           FROM registry.registries r
           JOIN registry.users u ON u.id = $2
           LEFT JOIN registry.registry_members m ON m.registry_id = r.id AND m.user_id = u.id
          WHERE r.id = $1
            FOR SHARE OF r, u`,
        [registryId, ctx.actor.userId],
      );
      const now = access[0];
      enforce(authorize(now ? { creatorActive: now.active, creatorRole: now.role, visibility: now.visibility } : null));
      await tx.query(
        `INSERT INTO registry.api_tokens (id, registry_id, user_id, name, scopes, token_hash, expires_at)
         VALUES ($1::uuid, $2, $3, $4, $5::text[], $6, $7::timestamptz)`,
        [token.id, registryId, ctx.actor.userId, token.name, token.scopes, token.tokenHash, token.expiresAt],
      );
      await appendAudit(tx, registryId, ctx, 'token.create', token.name, { token_id: token.id, scopes: token.scopes, expires_at: token.expiresAt.toISOString() });
      return (await this.tokens(tx, registryId, null, token.id))[0]!;
    });
  }

  private async tokens(db: SqlClient, registryId: number, userId: number | null, tokenId: string | null): Promise<ApiTokenRecord[]> {
    const { rows } = await db.query<{
      id: string;
      name: string;
      scopes: Array<'read' | 'publish'>;
      created_by: string;
      created_at: Date | string;
      expires_at: Date | string;
      revoked_at: Date | string | null;
      last_used_at: Date | string | null;
    }>(
      `SELECT t.id, t.name, t.scopes, u.username AS created_by, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
         FROM registry.api_tokens t JOIN registry.users u ON u.id = t.user_id
        WHERE t.registry_id = $1 AND ($2::int IS NULL OR t.user_id = $2::int) AND ($3::uuid IS NULL OR t.id = $3::uuid)
        ORDER BY t.created_at DESC`,
      [registryId, userId, tokenId],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      scopes: r.scopes,
      createdBy: r.created_by,
      createdAt: toDate(r.created_at),
      expiresAt: toDate(r.expires_at),
      revokedAt: toDateOrNull(r.revoked_at),
      lastUsedAt: toDateOrNull(r.last_used_at),
    }));
  }

  listTokens(registryId: number, userId: number | null): Promise<ApiTokenRecord[]> {
    return this.tokens(this.db, registryId, userId, null);
  }

  async findActiveToken(registryId: number, tokenId: string): Promise<{ tokenHash: string; userId: number } | null> {
    const { rows } = await this.db.query<{ token_hash: string; user_id: number }>(
      'SELECT token_hash, user_id FROM registry.api_tokens WHERE registry_id = $1 AND id = $2::uuid AND revoked_at IS NULL',
      [registryId, tokenId],
    );
    return rows[0] ? { tokenHash: rows[0].token_hash, userId: rows[0].user_id } : null;
  }

  async markTokenRevoked(registryId: number, tokenId: string, ctx: AuditContext): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ name: string }>(
        `UPDATE registry.api_tokens SET revoked_at = now() WHERE registry_id = $1 AND id = $2::uuid AND revoked_at IS NULL RETURNING name`,
        [registryId, tokenId],
      );
      if (rows[0]) await appendAudit(tx, registryId, ctx, 'token.revoke', rows[0].name, { token_id: tokenId });
    });
  }

  async listAudit(registryId: number, limit: number, offset: number): Promise<AuditRecord[]> {
    const { rows } = await this.db.query<{
      id: number | string;
      at: Date | string;
      actor_username: string | null;
      token_id: string | null;
      action: string;
      target: string | null;
      details: unknown;
      source_ip: string | null;
    }>(
      `SELECT id, at, actor_username, token_id, action, target, details, source_ip
         FROM registry.audit_log WHERE registry_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`,
      [registryId, limit, offset],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      at: toDate(r.at),
      actor: r.actor_username,
      tokenId: r.token_id,
      action: r.action,
      target: r.target,
      details: r.details,
      sourceIp: r.source_ip,
    }));
  }
}
