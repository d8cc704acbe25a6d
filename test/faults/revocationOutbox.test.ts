import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDynamo } from '../../scripts/local/EmbeddedDynamo.js';
import { apiTokenKey, userStateKey } from '../../shared/adapters/dynamodb/sessionsTable.js';
import { hashApiToken } from '../../shared/auth/apiTokens.js';
import { createDynamoClient } from '../../shared/runtime/awsDependencies.js';
import { DynamoFaults, WRITES, type DynamoCall } from '../support/dynamoFaults.js';
import { ROOT_PASSWORD, startTestServer, type TestServer } from '../support/testServer.js';

// Revocations are dual writes: SQL commits the change, then DynamoDB must learn it (the user's
// auth state with a revocation time, token grants deleted). Here DynamoDB fails every write
// right after the SQL half committed (reads, and so authentication, still work), and must end up
// with the revocation once it takes writes again, without the user doing anything: through the
// outbox row committed with the change, retried by the side-effect queue and swept at start.

const password = 'correct horse battery';
// The writes a revocation makes: the auth state and a kept session (UpdateItem), token grants
// (DeleteItem). The login throttle's counter (which the password check also writes, before the
// SQL change) is left alone, so the fault strikes after the commit, where a dual write strands.
const revocationWrites = (c: DynamoCall) => WRITES.has(c.operation) && c.operation !== 'PutItem' && !c.body.includes('throttle#');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('revocations when DynamoDB fails after the SQL commit', () => {
  let dynamo: EmbeddedDynamo;
  let faults: DynamoFaults;
  let direct: DynamoDBClient;
  let api: TestServer & { databaseUrl?: string; dropDatabase?: () => Promise<void> };
  let root: string;
  let cleanUp: Array<() => Promise<unknown>> = [];
  // One signing key across the restart below, so the sessions issued before it still verify.
  const env = () => ({ DYNAMODB_ENDPOINT: faults.endpoint, JWT_SECRET: jwtSecret });
  const jwtSecret = `test-secret-${randomBytes(24).toString('hex')}`;

  beforeAll(async () => {
    dynamo = await EmbeddedDynamo.start();
    faults = await DynamoFaults.start(dynamo.endpoint);
    direct = createDynamoClient({}, dynamo.endpoint);
    api = await startTestServer({ env: env() });
    root = (await api.call('POST', '/v1/auth/login', { json: { username: 'root', password: ROOT_PASSWORD } })).body.token;
  });

  afterAll(async () => {
    faults?.heal();
    await api?.close();
    for (const c of cleanUp) await c();
    direct?.destroy();
    await faults?.close();
    await dynamo?.stop();
  });

  /** The item as DynamoDB holds it, read directly (not through the fault proxy). */
  async function item(pk: string): Promise<Record<string, any> | null> {
    const out = await direct.send(new GetItemCommand({ TableName: 'rfh-sessions', Key: { pk: { S: pk } }, ConsistentRead: true }));
    return out.Item ? unmarshall(out.Item) : null;
  }

  /** Waits (without any request to the API) until `done` holds; false after `ms`. */
  async function eventually(done: () => Promise<boolean>, ms = 20_000): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (await done()) return true;
      await sleep(250);
    }
    return done();
  }

  /** The API answers again once the breaker closes (its probe comes 2 s after the last failure). */
  async function untilServing(token: string) {
    for (let i = 0; i < 40; i++) {
      const s = (await api.call('GET', '/v1/auth/profile', { token })).status;
      if (s !== 503) return s;
      await sleep(250);
    }
    return 503;
  }

  /** A publisher with a second ("stolen") session and an API token of its own registry. */
  async function victim(username: string) {
    const r = await api.call('POST', '/v1/auth/register', { token: root, json: { username, email: `${username}@example.com`, password, role: 'publisher' } });
    expect(r.status).toBe(201);
    const stolen = (await api.call('POST', '/v1/auth/login', { json: { username, password } })).body.token as string;
    expect((await api.call('POST', '/v1/registries', { token: r.body.token, json: { name: username, visibility: 'private' } })).status).toBe(201);
    const t = await api.call('POST', `/v1/registries/${username}/tokens`, { token: r.body.token, json: { name: 'ci', scopes: ['read', 'publish'] } });
    expect(t.status).toBe(201);
    return { token: r.body.token as string, id: r.body.id as number, stolen, apiToken: t.body.token as string };
  }

  const grantGone = async (secret: string) => (await item(apiTokenKey(hashApiToken(secret)))) === null;

  it('a password change: old sessions and API tokens end once DynamoDB is back; the session that changed it lives on', async () => {
    const v = await victim('ob-alice');
    const changedAt = Date.now();
    faults.fail(revocationWrites);
    const r = await api.call('POST', '/v1/auth/change-password', { token: v.token, json: { current_password: password, new_password: 'a brand new secret' } });
    faults.heal();
    expect(r.status).toBe(503);
    expect(faults.failed).toBeGreaterThan(0);
    // SQL has the new password; DynamoDB does not know yet.
    expect((await item(userStateKey(v.id)))?.revoked_before ?? 0).toBeLessThan(changedAt);

    // Nobody does anything: the revocation lands by itself.
    expect(await eventually(async () => ((await item(userStateKey(v.id)))?.revoked_before ?? 0) >= changedAt)).toBe(true);
    expect(await eventually(() => grantGone(v.apiToken))).toBe(true);
    expect(await untilServing(v.stolen)).toBe(401);
    expect((await api.call('GET', '/v1/auth/profile', { token: v.apiToken })).status).toBe(401);
    expect((await api.call('GET', '/v1/auth/profile', { token: v.token })).status).toBe(200);
    expect((await api.call('POST', '/v1/auth/login', { json: { username: 'ob-alice', password: 'a brand new secret' } })).status).toBe(200);
  });

  it('deleting your account: every session and token ends once DynamoDB is back; repeating the request is safe', async () => {
    const v = await victim('ob-bob');
    faults.fail(revocationWrites);
    const r = await api.call('DELETE', '/v1/auth/delete-account', { token: v.token });
    faults.heal();
    expect(r.status).toBe(503);
    // The client repeats the request: it completes what is pending (200), unless the queue's
    // retry was first (then the session is dead already: 401).
    let again = 503;
    for (let i = 0; i < 40 && again === 503; i++) {
      again = (await api.call('DELETE', '/v1/auth/delete-account', { token: v.token })).status;
      if (again === 503) await sleep(250);
    }
    expect([200, 401]).toContain(again);
    expect(await eventually(async () => (await item(userStateKey(v.id)))?.active === false)).toBe(true);
    expect(await eventually(() => grantGone(v.apiToken))).toBe(true);
    // The first answer said what happened and what is still to come.
    expect(r.body.error).toMatch(/^The account was deactivated, but a data store is unavailable/);
    for (const t of [v.token, v.stolen, v.apiToken]) expect((await api.call('GET', '/v1/auth/profile', { token: t })).status).toBe(401);
  });

  it("an admin deleting a user: the user's sessions and tokens end once DynamoDB is back", async () => {
    const v = await victim('ob-carol');
    faults.fail(revocationWrites);
    const r = await api.call('DELETE', `/v1/admin/users/${v.id}`, { token: root });
    faults.heal();
    expect(r.status).toBe(503);
    expect(await eventually(async () => (await item(userStateKey(v.id)))?.active === false)).toBe(true);
    expect(await eventually(() => grantGone(v.apiToken))).toBe(true);
    expect(await untilServing(v.stolen)).toBe(401);
    expect((await api.call('GET', '/v1/auth/profile', { token: v.apiToken })).status).toBe(401);
  });

  it("removing a member: the member's token grants are deleted once DynamoDB is back, and re-adding revives nothing", async () => {
    const owner = await victim('ob-owner');
    const member = await victim('ob-member');
    expect((await api.call('PUT', '/v1/registries/ob-owner/members/ob-member', { token: owner.token, json: { role: 'reader' } })).status).toBe(200);
    const t = await api.call('POST', '/v1/registries/ob-owner/tokens', { token: member.token, json: { name: 'read', scopes: ['read'] } });
    expect(t.status).toBe(201);
    faults.fail((c) => c.operation === 'DeleteItem' && c.body.includes('apitoken#'));
    const r = await api.call('DELETE', '/v1/registries/ob-owner/members/ob-member', { token: owner.token });
    faults.heal();
    expect(r.status).toBe(503);
    expect(await eventually(() => grantGone(t.body.token))).toBe(true);
    // A live API token is refused on a signed-in route with 403, a dead one with 401.
    expect(await untilServing(t.body.token)).toBe(401);
    expect((await api.call('PUT', '/v1/registries/ob-owner/members/ob-member', { token: owner.token, json: { role: 'reader' } })).status).toBe(200);
    expect((await api.call('GET', '/v1/auth/profile', { token: t.body.token })).status).toBe(401);
  });

  it('survives the process ending before DynamoDB came back: the next start sweeps the outbox', async () => {
    const v = await victim('ob-dave');
    const changedAt = Date.now();
    faults.fail(revocationWrites);
    const r = await api.call('POST', '/v1/auth/change-password', { token: v.token, json: { current_password: password, new_password: 'a brand new secret' } });
    expect(r.status).toBe(503);
    // The process ends while DynamoDB still refuses writes: whatever it kept in memory is gone.
    await api.close({ keepData: true });
    const { dataDir, databaseUrl, dropDatabase } = api;
    cleanUp = [() => rm(dataDir, { recursive: true, force: true }), async () => dropDatabase?.()];
    faults.heal();
    await sleep(1_000);
    expect((await item(userStateKey(v.id)))?.revoked_before ?? 0).toBeLessThan(changedAt);
    expect(await grantGone(v.apiToken)).toBe(false);

    api = await startTestServer({ env: env(), dataDir, databaseUrl });
    expect(await eventually(async () => ((await item(userStateKey(v.id)))?.revoked_before ?? 0) >= changedAt)).toBe(true);
    expect(await eventually(() => grantGone(v.apiToken))).toBe(true);
    expect((await api.call('GET', '/v1/auth/profile', { token: v.stolen })).status).toBe(401);
    expect((await api.call('GET', '/v1/auth/profile', { token: v.token })).status).toBe(200);
  });
});
