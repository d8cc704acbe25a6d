import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgRegistryRepo } from '../../shared/adapters/postgres/PgRegistryRepo.js';
import { PgRevocationOutbox } from '../../shared/adapters/postgres/PgRevocationOutbox.js';
import { PgUserRepo } from '../../shared/adapters/postgres/PgUserRepo.js';
import type { Principal } from '../../shared/auth/Principal.js';
import type { AuditContext } from '../../shared/ports/RegistryRepo.js';
import { ANONYMOUS, viewerOf } from '../../shared/registries/Viewer.js';
import { decideRegistryCreation, decideTokenCreation } from '../../shared/registries/rights.js';
import type { CreateRegistryRequest } from '../../shared/registries/Registry.js';
import type { Role } from '../../shared/auth/roles.js';
import { applySideEffects } from '../../shared/sideEffects/applySideEffects.js';
import { databaseEngines, type TestDatabase } from '../support/stores.js';
import { createPrincipal } from '../support/repositoryFixtures.js';

// Registries, members, API tokens, the audit log and the revocation outbox, at the SQL level, on
// every driver (PGlite, node-postgres and the Data API through its fake when DATABASE_URL is set):
// each statement's parameters (uuid, text[], timestamptz, jsonb, bigint ids as text) must reach
// PostgreSQL with the types the columns have, whichever way the driver types them.

const hash = (c: string) => c.repeat(64);
const IN_A_YEAR = new Date('2031-06-01T12:00:00.250Z');

describe.each(databaseEngines)('PgRegistryRepo and the revocation outbox on $name', (engine) => {
  let t: TestDatabase;
  let repo: PgRegistryRepo;
  let users: PgUserRepo;
  let outbox: PgRevocationOutbox;
  const people: Record<string, Principal> = {};
  const as = (actor: Principal): AuditContext => ({ actor, sourceIp: '192.0.2.1' });
  // Creations decided by the rules the use cases pass (a cap of 3 registries per user).
  const create = (input: CreateRegistryRequest, ctx: AuditContext) => repo.create(input, ctx, (facts) => decideRegistryCreation(3, facts));
  const createToken = (registryId: number, token: Parameters<PgRegistryRepo['createToken']>[1], ctx: AuditContext) =>
    repo.createToken(registryId, token, ctx, (facts) => decideTokenCreation(token.scopes, facts));

  const person = async (username: string, role: Role) => (people[username] = await createPrincipal(t.db, username, role));

  beforeAll(async () => {
    t = await engine.open();
    repo = new PgRegistryRepo(t.db);
    users = new PgUserRepo(t.db);
    outbox = new PgRevocationOutbox(t.db);
    await person('ann', 'publisher');
    await person('ben', 'publisher');
    await person('cid', 'user');
    await person('ada', 'admin');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates registries (name taken: 409, at most the cap per user) and shows private ones to members only', async () => {
    const acme = await create({ name: 'acme', description: 'Acme "rules" \\ more', visibility: 'private' }, as(people.ann!));
    expect(acme).toMatchObject({ name: 'acme', description: 'Acme "rules" \\ more', visibility: 'private', configVersion: 1, createdBy: 'ann' });
    expect(acme.createdAt).toBeInstanceOf(Date);
    await expect(create({ name: 'acme', description: '', visibility: 'public' }, as(people.ben!))).rejects.toMatchObject({ status: 409 });
    await create({ name: 'open', description: '', visibility: 'public' }, as(people.ann!));
    // Racing creations of one user stop at the cap (3): the creator's row lock serialises them.
    const raced = await Promise.allSettled(['r1', 'r2', 'r3'].map((name) => create({ name, description: '', visibility: 'public' }, as(people.ann!))));
    expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of raced) if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 403 });

    expect(await repo.access('acme', ANONYMOUS)).toBeNull();
    expect(await repo.access('acme', viewerOf(people.ben!))).toBeNull();
    expect(await repo.access('acme', viewerOf(people.ann!))).toMatchObject({ registry: { name: 'acme' }, role: 'admin' });
    expect(await repo.access('acme', viewerOf(people.ada!))).toMatchObject({ registry: { name: 'acme' }, role: null });
    expect((await repo.listVisible(ANONYMOUS)).map((r) => r.registry.name)).not.toContain('acme');
    expect((await repo.listVisible(viewerOf(people.ann!))).find((r) => r.registry.name === 'acme')?.role).toBe('admin');
  });

  it('updates only at the version read (412 otherwise), leaving what is not given', async () => {
    const acme = (await repo.access('acme', viewerOf(people.ann!)))!.registry;
    const updated = await repo.update(acme.id, acme.configVersion, { description: 'New' }, as(people.ann!));
    expect(updated).toMatchObject({ description: 'New', visibility: 'private', configVersion: acme.configVersion + 1 });
    await expect(repo.update(acme.id, acme.configVersion, { visibility: 'public' }, as(people.ann!))).rejects.toMatchObject({ status: 412 });
    const both = await Promise.allSettled([
      repo.update(acme.id, updated.configVersion, { visibility: 'public' }, as(people.ann!)),
      repo.update(acme.id, updated.configVersion, { description: 'Other' }, as(people.ann!)),
    ]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const now = (await repo.access('acme', viewerOf(people.ann!)))!.registry;
    expect(now.configVersion).toBe(updated.configVersion + 1);
    if (now.visibility === 'public') expect(now.description).toBe('New');
    else expect(now.description).toBe('Other');
    await repo.update(acme.id, now.configVersion, { visibility: 'private' }, as(people.ann!));
  });

  it('records tokens (uuid id, scopes, expiry to the millisecond) and finds, uses and revokes them', async () => {
    const acme = (await repo.access('acme', viewerOf(people.ann!)))!.registry;
    const id = randomUUID();
    const token = await createToken(acme.id, { id, name: 'ci', scopes: ['read', 'publish'], tokenHash: hash('a'), expiresAt: IN_A_YEAR }, as(people.ann!));
    expect(token).toEqual({ id, name: 'ci', scopes: ['read', 'publish'], createdBy: 'ann', createdAt: expect.any(Date), expiresAt: IN_A_YEAR, revokedAt: null, lastUsedAt: null });
    expect(await repo.findActiveToken(acme.id, id)).toEqual({ tokenHash: hash('a'), userId: people.ann!.userId });
    expect(await repo.findActiveToken(acme.id, randomUUID())).toBeNull();
    // Not a member of a private registry: no token there.
    await expect(
      createToken(acme.id, { id: randomUUID(), name: 'x', scopes: ['read'], tokenHash: hash('b'), expiresAt: IN_A_YEAR }, as(people.ben!)),
    ).rejects.toMatchObject({ status: 403 });

    const used = Date.parse('2030-03-04T05:06:07.891Z');
    await applySideEffects(t.db, [{ kind: 'token-used', tokenId: id, at: used - 1000 }, { kind: 'token-used', tokenId: id, at: used }]);
    await applySideEffects(t.db, [{ kind: 'token-used', tokenId: id, at: used - 5000 }]);
    expect((await repo.listTokens(acme.id, people.ann!.userId))[0]?.lastUsedAt).toEqual(new Date(used));
    expect(await repo.listTokens(acme.id, people.ben!.userId)).toEqual([]);

    // Audited in the name of an API token: its id goes into the uuid column.
    const viaToken = { ...people.ann!, apiToken: { id, registry: 'acme', scopes: ['read' as const, 'publish' as const] } };
    await repo.markTokenRevoked(acme.id, id, as(viaToken));
    await repo.markTokenRevoked(acme.id, id, as(viaToken));
    expect(await repo.findActiveToken(acme.id, id)).toBeNull();
    expect((await repo.listTokens(acme.id, null))[0]?.revokedAt).toBeInstanceOf(Date);
    const [revoke] = await repo.listAudit(acme.id, 1, 0);
    expect(revoke).toMatchObject({ action: 'token.revoke', actor: 'ann', tokenId: id, target: 'ci', details: { token_id: id }, sourceIp: '192.0.2.1' });
    expect(typeof revoke!.id).toBe('number');
  });

  it('a demotion revokes the member\'s publish tokens there, a removal all of them, each with an outbox row', async () => {
    const acme = (await repo.access('acme', viewerOf(people.ann!)))!.registry;
    expect((await repo.setMember(acme.id, 'BEN', 'publisher', as(people.ann!))).members.map((m) => [m.username, m.role])).toEqual([
      ['ann', 'admin'],
      ['ben', 'publisher'],
    ]);
    const ben = people.ben!;
    const [publishId, readId] = [randomUUID(), randomUUID()];
    await createToken(acme.id, { id: publishId, name: 'publish', scopes: ['read', 'publish'], tokenHash: hash('c'), expiresAt: IN_A_YEAR }, as(ben));
    await createToken(acme.id, { id: readId, name: 'read', scopes: ['read'], tokenHash: hash('d'), expiresAt: IN_A_YEAR }, as(ben));

    const demoted = await repo.setMember(acme.id, 'ben', 'reader', as(people.ann!));
    expect(demoted.revokedTokensOf).toBe(ben.userId);
    expect(await repo.findActiveToken(acme.id, publishId)).toBeNull();
    expect(await repo.findActiveToken(acme.id, readId)).not.toBeNull();
    const [afterDemotion] = await outbox.pending(10, ben.userId);
    expect(afterDemotion).toEqual({
      id: expect.stringMatching(/^\d+$/),
      userId: ben.userId,
      revokeBefore: null,
      state: { userId: ben.userId, authVersion: 1, role: 'publisher', active: true },
      keepSession: null,
      tokenHashes: [hash('c')],
    });

    const removed = await repo.removeMember(acme.id, 'ben', as(people.ann!));
    expect(removed).toMatchObject({ members: [{ username: 'ann', role: 'admin' }], revokedTokensOf: ben.userId });
    expect(await repo.findActiveToken(acme.id, readId)).toBeNull();
    expect((await outbox.pending(10, ben.userId)).map((r) => r.tokenHashes)).toEqual([[hash('c')], [hash('d')]]);
    // Nothing left to revoke: no token revoked, no outbox row.
    await repo.setMember(acme.id, 'ben', 'publisher', as(people.ann!));
    expect((await repo.removeMember(acme.id, 'ben', as(people.ann!))).revokedTokensOf).toBeNull();
    expect(await outbox.pending(10, ben.userId)).toHaveLength(2);
    await expect(repo.removeMember(acme.id, 'ann', as(people.ann!))).rejects.toMatchObject({ status: 409 });

    const audit = await repo.listAudit(acme.id, 6, 0);
    expect(audit.map((a) => [a.action, a.target])).toEqual([
      ['member.remove', 'ben'],
      ['member.set', 'ben'],
      ['token.revoke', 'read'],
      ['member.remove', 'ben'],
      ['token.revoke', 'publish'],
      ['member.set', 'ben'],
    ]);
    expect(audit[2]!.details).toEqual({ token_id: readId, reason: 'member.remove' });
    expect(audit[5]!.details).toEqual({ from: 'publisher', to: 'reader' });
    expect((await repo.listAudit(acme.id, 2, 1)).map((a) => a.id)).toEqual([audit[1]!.id, audit[2]!.id]);
  });

  it('a password change and a deactivation revoke every live token of the user, with the revocation time and kept session', async () => {
    const cid = people.cid!;
    const open = (await repo.access('open', viewerOf(people.ann!)))!.registry;
    await createToken(open.id, { id: randomUUID(), name: 'cid read', scopes: ['read'], tokenHash: hash('e'), expiresAt: IN_A_YEAR }, as(cid));
    const revokeBefore = 1_900_000_000_123; // past 2^31 ms: a bigint column
    const changed = await users.updatePassword(cid.userId, 'h2', { revokeBefore, keepSession: hash('f'), audit: as(cid) });
    expect(changed).toEqual({ userId: cid.userId, authVersion: 2, role: 'user', active: true });
    const [row] = await outbox.pending(10, cid.userId);
    expect(row).toMatchObject({ userId: cid.userId, revokeBefore, keepSession: hash('f'), tokenHashes: [hash('e')], state: { authVersion: 2 } });

    await createToken(open.id, { id: randomUUID(), name: 'cid again', scopes: ['read'], tokenHash: hash('1'), expiresAt: IN_A_YEAR }, as(cid));
    expect(await users.deactivate(cid.userId, { revokeBefore: revokeBefore + 1, audit: as(cid) })).toMatchObject({ active: false, authVersion: 3 });
    const rows = await outbox.pending(10, cid.userId);
    expect(rows.map((r) => [r.revokeBefore, r.tokenHashes, r.state.active])).toEqual([
      [revokeBefore, [hash('e')], false],
      [revokeBefore + 1, [hash('1')], false],
    ]);
    // A deactivated user creates no more tokens.
    await expect(
      createToken(open.id, { id: randomUUID(), name: 'late', scopes: ['read'], tokenHash: hash('2'), expiresAt: IN_A_YEAR }, as(cid)),
    ).rejects.toMatchObject({ status: 403 });

    // The outbox: oldest first, per user or all, limited; a completed row is gone (ids are bigints, passed as text).
    const all = await outbox.pending(100);
    expect(all.map((r) => Number(r.id))).toEqual([...all.map((r) => Number(r.id))].sort((a, b) => a - b));
    expect(await outbox.pending(1)).toEqual([all[0]]);
    for (const r of all) await outbox.complete(r.id);
    await outbox.complete(all[0]!.id);
    expect(await outbox.pending(100)).toEqual([]);
  });
});
