import { Argon2PasswordHasher } from '../../shared/auth/PasswordHasher.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as changePasswordHandler } from '../../functions/auth/change-password.js';
import { handler as deleteAccountHandler } from '../../functions/auth/delete-account.js';
import { handler as loginHandler } from '../../functions/auth/login.js';
import { handler as registerHandler } from '../../functions/auth/register.js';
import { handler as consumer } from '../../functions/queues/side-effects.js';
import { EmbeddedDynamo } from '../../scripts/local/EmbeddedDynamo.js';
import { FsBlobStore } from '../../scripts/local/FsBlobStore.js';
import { PgliteDatabase } from '../../scripts/local/PgliteDatabase.js';
import { lambdaContext } from '../../scripts/local/apiGatewayEvent.js';
import { ensureSessionsTable } from '../../scripts/local/sessionsTableBootstrap.js';
import { SqsSideEffectQueue } from '../../shared/adapters/sqs/SqsSideEffectQueue.js';
import { migrate } from '../../shared/db/migrate.js';
import { findRoute, type RouteKey } from '../../shared/routes.js';
import { assembleDependencies, createDynamoClient } from '../../shared/runtime/awsDependencies.js';
import { provideDependencies, type Dependencies } from '../../shared/runtime/Dependencies.js';

// What a request leaves to do after its response must leave the function with it: Lambda freezes
// the process once the handler returns, so nothing may be left running "in the background". Here
// the functions run as Lambda runs them, on the real stores (PGlite, dynalite) with the side
// effects going to SQS (the SQS client mocked): once the handler has returned, the clean-up of
// dead sessions must already be in a message, and the queue's consumer does it.

const sqs = mockClient(SQSClient);
const password = 'correct horse battery';
type Handler = (event: APIGatewayProxyEventV2, context: any) => Promise<{ statusCode?: number; body?: string }>;

describe('work after the response, as Lambda runs it', () => {
  let db: PgliteDatabase;
  let dynamo: EmbeddedDynamo;
  let raw: ReturnType<typeof createDynamoClient>;
  let blobs: string;
  let deps: Dependencies;

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db);
    dynamo = await EmbeddedDynamo.start();
    raw = createDynamoClient({}, dynamo.endpoint);
    await ensureSessionsTable(raw, 'rfh-sessions');
    blobs = await mkdtemp(join(tmpdir(), 'rfh-handoff-'));
    const store = new FsBlobStore(blobs);
    deps = assembleDependencies({
      db,
      blobs: store,
      blobWrites: store,
      passwords: new Argon2PasswordHasher(),
      dynamoClient: raw,
      sessionsTable: 'rfh-sessions',
      jwtSecret: randomBytes(48).toString('base64url'),
      sideEffects: new SqsSideEffectQueue(new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), 'https://sqs/queue'),
      env: { RFH_RATE_LIMIT: 'off' },
    });
    provideDependencies(async () => deps);
  });

  afterAll(async () => {
    sqs.restore();
    raw?.destroy();
    await dynamo?.stop();
    await db?.close();
    if (blobs) await rm(blobs, { recursive: true, force: true });
  });

  async function invoke(handler: Handler, route: RouteKey, opts: { token?: string; json?: unknown } = {}) {
    const r = findRoute(route);
    const now = Date.now();
    const event = {
      version: '2.0',
      routeKey: route,
      rawPath: r.path,
      rawQueryString: '',
      headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
      body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
      isBase64Encoded: false,
      requestContext: {
        accountId: 'test', apiId: 'test', domainName: 'localhost', domainPrefix: 'localhost', requestId: randomUUID(), routeKey: route,
        stage: '$default', time: new Date(now).toUTCString(), timeEpoch: now,
        http: { method: r.method, path: r.path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.7', userAgent: 'test' },
      },
    } as APIGatewayProxyEventV2;
    const res = await handler(event, { ...lambdaContext(r, event.requestContext.requestId), dependencies: deps });
    return { status: res.statusCode ?? 200, body: res.body ? JSON.parse(res.body) : undefined };
  }

  /** Every side effect handed to SQS so far, as the consumer would receive it. */
  function sent(): SQSEvent {
    return {
      Records: sqs.commandCalls(SendMessageCommand).map((c, i) => ({ messageId: String(i), body: c.args[0].input.MessageBody! })),
    } as SQSEvent;
  }

  const storedSessions = async (userId: number) => (await deps.sessions.listForUser(userId, 100)).sessions.length;

  it('a password change hands the clean-up of the old sessions to SQS before it returns; the consumer removes only those', async () => {
    sqs.reset();
    const reg = await invoke(registerHandler as Handler, 'POST /v1/auth/register', { json: { username: 'handoff-ann', email: 'ann@example.com', password } });
    expect(reg.status).toBe(201);
    const old = await invoke(loginHandler as Handler, 'POST /v1/auth/login', { json: { username: 'handoff-ann', password } });
    expect(old.status).toBe(200);
    expect(await storedSessions(reg.body.id)).toBe(2);
    sqs.reset();

    const changed = await invoke(changePasswordHandler as Handler, 'POST /v1/auth/change-password', {
      token: reg.body.token,
      json: { current_password: password, new_password: 'a brand new secret' },
    });
    expect(changed.status).toBe(200);
    // The handler has returned: from here on Lambda may freeze the process for good. What is left
    // to do is in SQS already.
    const messages = sent();
    expect(messages.Records.map((r) => JSON.parse(r.body))).toContainEqual([{ kind: 'prune-sessions', userId: reg.body.id }]);
    expect(await storedSessions(reg.body.id)).toBe(2); // nothing ran behind the response's back

    expect(await consumer(messages)).toEqual({ batchItemFailures: [] });
    const left = (await deps.sessions.listForUser(reg.body.id, 100)).sessions;
    expect(left).toHaveLength(1); // the session that changed the password
    expect((await deps.sessions.lookup(left[0]!.tokenHash, reg.body.id)).session).not.toBeNull();
    // Delivered again (SQS is at-least-once): nothing more to do, nothing breaks.
    expect(await consumer(messages)).toEqual({ batchItemFailures: [] });
    expect(await storedSessions(reg.body.id)).toBe(1);
  });

  it("deleting an account hands the removal of all its sessions to SQS; the consumer removes them", async () => {
    const reg = await invoke(registerHandler as Handler, 'POST /v1/auth/register', { json: { username: 'handoff-ben', email: 'ben@example.com', password } });
    await invoke(loginHandler as Handler, 'POST /v1/auth/login', { json: { username: 'handoff-ben', password } });
    sqs.reset();
    expect((await invoke(deleteAccountHandler as Handler, 'DELETE /v1/auth/delete-account', { token: reg.body.token })).status).toBe(200);
    const messages = sent();
    expect(messages.Records.map((r) => JSON.parse(r.body))).toContainEqual([{ kind: 'prune-sessions', userId: reg.body.id }]);
    expect(await storedSessions(reg.body.id)).toBe(2);
    expect(await consumer(messages)).toEqual({ batchItemFailures: [] });
    expect(await storedSessions(reg.body.id)).toBe(0);
  });
});
