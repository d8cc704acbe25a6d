import type { SqlClient } from '../../ports/Database.js';
import type { AuditContext } from '../../ports/RegistryRepo.js';

/** Appends one audit record, in the caller's transaction, so a change and its record commit together. */
export async function appendAudit(
  tx: SqlClient,
  registryId: number,
  ctx: AuditContext,
  action: string,
  target: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await tx.query(
    `INSERT INTO registry.audit_log (registry_id, actor_user_id, actor_username, token_id, action, target, details, source_ip)
     VALUES ($1, $2, $3, $4::uuid, $5, $6, $7::jsonb, $8)`,
    [registryId, ctx.actor.userId, ctx.actor.username, ctx.actor.apiToken?.id ?? null, action, target, JSON.stringify(details), ctx.sourceIp],
  );
}
