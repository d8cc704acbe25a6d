import type { Principal } from '../auth/Principal.js';
import type { Authorize } from '../auth/decision.js';
import type { CreateRegistryRequest, RegistryRecord, RegistryRole, UpdateRegistryRequest } from '../registries/Registry.js';
import type { Viewer } from '../registries/Viewer.js';
import type { RegistryCreationFacts, TokenCreationFacts } from '../registries/rights.js';

/** Who did something and from where: every change writes an audit record with it. */
export interface AuditContext {
  actor: Principal;
  sourceIp: string;
}

export interface RegistryMember {
  username: string;
  role: RegistryRole;
  addedAt: Date;
}

/** A member change, and whose API tokens it revoked (queued for DynamoDB in the same transaction). */
export interface MemberChange {
  members: RegistryMember[];
  /** The member's user id when the change revoked tokens of theirs, else null. */
  revokedTokensOf: number | null;
}

export interface ApiTokenRecord {
  id: string;
  name: string;
  scopes: Array<'read' | 'publish'>;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface AuditRecord {
  id: number;
  at: Date;
  actor: string | null;
  tokenId: string | null;
  action: string;
  target: string | null;
  details: unknown;
  sourceIp: string | null;
}

export interface RegistryRepo {
  /** Registries the viewer can see, with the viewer's role in each. */
  listVisible(viewer: Viewer): Promise<Array<{ registry: RegistryRecord; role: RegistryRole | null }>>;
  /**
   * Creates a registry with the caller as its admin, enforcing `authorize` on the facts read with
   * the creator's user row locked (so one user's creations are decided one at a time); 409 when
   * the name is taken.
   */
  create(input: CreateRegistryRequest, ctx: AuditContext, authorize: Authorize<RegistryCreationFacts>): Promise<RegistryRecord>;
  /** The registry and the viewer's role in it; null when it does not exist or the viewer may not see it. */
  access(name: string, viewer: Viewer): Promise<{ registry: RegistryRecord; role: RegistryRole | null } | null>;
  /** Applies changes if the registry is still at `expectedVersion`; 412 when it moved on. */
  update(registryId: number, expectedVersion: number, changes: UpdateRegistryRequest, ctx: AuditContext): Promise<RegistryRecord>;
  listMembers(registryId: number): Promise<RegistryMember[]>;
  /**
   * Adds or changes a member; never demotes the last admin (409), even under concurrency. A
   * demotion below publisher revokes the member's tokens of this registry that carry the publish
   * scope, in the same transaction (audited, queued for DynamoDB).
   */
  setMember(registryId: number, username: string, role: RegistryRole, ctx: AuditContext): Promise<MemberChange>;
  /**
   * Removes a member; never the last admin (409), even under concurrency. Revokes every token of
   * the member in this registry in the same transaction (audited, queued for DynamoDB), so adding
   * the member back revives none of them.
   */
  removeMember(registryId: number, username: string, ctx: AuditContext): Promise<MemberChange>;
  /**
   * Records a new token after enforcing `authorize` on the facts read under locks that member
   * changes, password changes and deactivation also take: a change that commits later sees the
   * token and revokes it.
   */
  createToken(
    registryId: number,
    token: { id: string; name: string; scopes: Array<'read' | 'publish'>; tokenHash: string; expiresAt: Date },
    ctx: AuditContext,
    authorize: Authorize<TokenCreationFacts | null>,
  ): Promise<ApiTokenRecord>;
  /** Tokens of the registry; only `userId`'s when given. Never secrets. */
  listTokens(registryId: number, userId: number | null): Promise<ApiTokenRecord[]>;
  /** The token's hash and creator, to revoke it; null when unknown or already revoked. */
  findActiveToken(registryId: number, tokenId: string): Promise<{ tokenHash: string; userId: number } | null>;
  markTokenRevoked(registryId: number, tokenId: string, ctx: AuditContext): Promise<void>;
  listAudit(registryId: number, limit: number, offset: number): Promise<AuditRecord[]>;
}
