import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/Principal.js';
import { generateApiToken } from '../auth/apiTokens.js';
import { enforce } from '../auth/decision.js';
import { applyRevocationNow } from '../auth/revocations.js';
import { ApiError, forbidden, notFound } from '../errors.js';
import type { ApiTokenRecord, AuditContext, AuditRecord, RegistryMember } from '../ports/RegistryRepo.js';
import { roleAtLeast } from '../auth/roles.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import {
  registryBody,
  registryEtag,
  type CreateRegistryRequest,
  type CreateTokenRequest,
  type RegistryRecord,
  type RegistryRole,
  type UpdateRegistryRequest,
} from './Registry.js';
import { viewerOf } from './Viewer.js';
import { decideRegistryCreation, decideTokenCreation } from './rights.js';

const isGlobalAdmin = (p: Principal | null) => Boolean(p && roleAtLeast(p.role, 'admin'));

/** The registry as the caller may see it; 404 when it does not exist or is private to others. */
async function accessible(deps: Dependencies, name: string, caller: Principal | null) {
  const found = await deps.registries.access(name, viewerOf(caller));
  if (!found) throw notFound(`Registry ${name} not found`);
  return found;
}

function requireAdmin(found: { role: RegistryRole | null }, caller: Principal): void {
  if (found.role !== 'admin' && !isGlobalAdmin(caller)) throw forbidden('Only admins of this registry can do this');
}

const memberBody = (m: RegistryMember) => ({ username: m.username, role: m.role, added_at: m.addedAt.toISOString() });

const tokenBody = (t: ApiTokenRecord) => ({
  id: t.id,
  name: t.name,
  scopes: t.scopes,
  created_by: t.createdBy,
  created_at: t.createdAt.toISOString(),
  expires_at: t.expiresAt.toISOString(),
  revoked_at: t.revokedAt?.toISOString() ?? null,
  last_used_at: t.lastUsedAt?.toISOString() ?? null,
});

const auditBody = (a: AuditRecord) => ({
  id: a.id,
  at: a.at.toISOString(),
  actor: a.actor,
  token_id: a.tokenId,
  action: a.action,
  target: a.target,
  details: a.details,
  source_ip: a.sourceIp,
});

export async function listRegistries(deps: Dependencies, caller: Principal | null) {
  const rows = await deps.registries.listVisible(viewerOf(caller));
  return rows.map((r) => registryBody(r.registry, r.role));
}

/** Creates a registry with its creator as admin, within the per-user cap (decided under the creator's row lock). */
export async function createRegistry(deps: Dependencies, input: CreateRegistryRequest, ctx: AuditContext) {
  const registry = await deps.registries.create(input, ctx, (facts) => decideRegistryCreation(deps.config.registryCapPerUser, facts));
  return { body: registryBody(registry, 'admin'), etag: registryEtag(registry) };
}

export async function getRegistry(deps: Dependencies, name: string, caller: Principal | null) {
  const { registry, role } = await accessible(deps, name, caller);
  return { body: registryBody(registry, role), etag: registryEtag(registry) };
}

/**
 * The configuration version an update may apply to, from the If-Match header (RFC 9110, 13.1.1):
 * `*` or a comma-separated list of ETags (`"v<n>"`) of which one is the version just read. The
 * update itself is conditional on that version, so a change in between still ends in 412.
 * 428 without the header.
 */
function expectedVersion(ifMatch: string | undefined, current: RegistryRecord): number {
  if (!ifMatch) {
    throw new ApiError(428, 'Send If-Match with the ETag from GET /v1/registries/{registry}, so concurrent edits cannot overwrite each other');
  }
  const listed = ifMatch.split(',').map((tag) => tag.trim());
  const matches = (tag: string) => tag === '*' || /^(?:W\/)?"v(\d{1,9})"$/.exec(tag)?.[1] === String(current.configVersion);
  if (!listed.some(matches)) {
    throw new ApiError(412, `If-Match does not match the registry's version (${registryEtag(current)}): reload and try again`);
  }
  return current.configVersion;
}

export async function updateRegistry(deps: Dependencies, name: string, ifMatch: string | undefined, changes: UpdateRegistryRequest, ctx: AuditContext) {
  const found = await accessible(deps, name, ctx.actor);
  requireAdmin(found, ctx.actor);
  const updated = await deps.registries.update(found.registry.id, expectedVersion(ifMatch, found.registry), changes, ctx);
  return { body: registryBody(updated, found.role), etag: registryEtag(updated) };
}

export async function listMembers(deps: Dependencies, name: string, caller: Principal) {
  const found = await accessible(deps, name, caller);
  if (!found.role && !isGlobalAdmin(caller)) throw forbidden('Only members of this registry can see its members');
  return (await deps.registries.listMembers(found.registry.id)).map(memberBody);
}

/**
 * Adds a member or changes a member's role. A demotion below publisher revokes the member's
 * tokens of this registry that carry the publish scope: rows revoked and audited with the change,
 * grants deleted right after (shared/auth/revocations.ts), so a later promotion revives nothing.
 */
export async function setMember(deps: Dependencies, name: string, username: string, role: RegistryRole, ctx: AuditContext) {
  const found = await accessible(deps, name, ctx.actor);
  requireAdmin(found, ctx.actor);
  const change = await deps.registries.setMember(found.registry.id, username, role, ctx);
  if (change.revokedTokensOf !== null) await applyRevocationNow(deps, change.revokedTokensOf, `${username} is now ${role}`);
  return change.members.map(memberBody);
}

/**
 * Removes a member and revokes every token of theirs in this registry (rows revoked and audited
 * with the removal, grants deleted right after), so adding them back revives nothing.
 */
export async function removeMember(deps: Dependencies, name: string, username: string, ctx: AuditContext) {
  const found = await accessible(deps, name, ctx.actor);
  requireAdmin(found, ctx.actor);
  const change = await deps.registries.removeMember(found.registry.id, username, ctx);
  if (change.revokedTokensOf !== null) await applyRevocationNow(deps, change.revokedTokensOf, `${username} was removed`);
  return change.members.map(memberBody);
}

/**
 * Creates an API token: a publish scope needs the publisher or admin role in the registry, a read
 * scope membership (or a public registry), checked again when the row is written. The row and
 * audit record commit first, then the grant is stored for authentication; the secret is returned
 * once and stored nowhere.
 */
export async function createToken(deps: Dependencies, name: string, input: CreateTokenRequest, ctx: AuditContext) {
  const found = await accessible(deps, name, ctx.actor);
  // Signed in, so the account is active; decided again on the rows when the token is recorded.
  enforce(decideTokenCreation(input.scopes, { creatorActive: true, creatorRole: found.role, visibility: found.registry.visibility }));
  const { secret, hash } = generateApiToken();
  const id = randomUUID();
  const expiresAt = new Date(Date.now() + input.expires_in_days * 86_400_000);
  const record = await deps.registries.createToken(found.registry.id, { id, name: input.name, scopes: input.scopes, tokenHash: hash, expiresAt }, ctx, (facts) =>
    decideTokenCreation(input.scopes, facts),
  );
  try {
    await deps.apiTokens.put(hash, {
      tokenId: id,
      userId: ctx.actor.userId,
      username: ctx.actor.username,
      role: ctx.actor.role,
      registry: found.registry.name,
      scopes: input.scopes,
      expiresAt: expiresAt.getTime(),
    });
  } catch (err) {
    // The token never worked: record it as revoked rather than leave a listed, dead token.
    await deps.registries.markTokenRevoked(found.registry.id, id, ctx).catch(() => undefined);
    throw err;
  }
  // A member change, password change or deactivation that committed after the row did has revoked
  // it, and may have deleted the grant before it was written: then it goes now, and the secret is
  // never handed out.
  if (!(await deps.registries.findActiveToken(found.registry.id, id))) {
    await deps.apiTokens.delete(hash);
    throw forbidden('Your rights in this registry changed while the token was being created');
  }
  return { ...tokenBody(record), registry: found.registry.name, token: secret };
}

export async function listTokens(deps: Dependencies, name: string, caller: Principal) {
  const found = await accessible(deps, name, caller);
  const all = found.role === 'admin' || isGlobalAdmin(caller);
  return (await deps.registries.listTokens(found.registry.id, all ? null : caller.userId)).map(tokenBody);
}

/** Revokes at once: the grant is deleted first (the token stops working), then the row is marked. */
export async function revokeToken(deps: Dependencies, name: string, tokenId: string, ctx: AuditContext) {
  const found = await accessible(deps, name, ctx.actor);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(tokenId)) throw notFound(`Token ${tokenId.slice(0, 40)} not found`);
  const token = await deps.registries.findActiveToken(found.registry.id, tokenId);
  if (!token) throw notFound(`Token ${tokenId} not found`);
  if (token.userId !== ctx.actor.userId && found.role !== 'admin' && !isGlobalAdmin(ctx.actor)) {
    throw forbidden('Only its creator or an admin of this registry can revoke a token');
  }
  await deps.apiTokens.delete(token.tokenHash);
  await deps.registries.markTokenRevoked(found.registry.id, tokenId, ctx);
  return { message: 'Token revoked' };
}

export async function listAudit(deps: Dependencies, name: string, caller: Principal, limit: number, offset: number) {
  const found = await accessible(deps, name, caller);
  requireAdmin(found, caller);
  return (await deps.registries.listAudit(found.registry.id, limit, offset)).map(auditBody);
}
