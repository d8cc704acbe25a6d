import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { handler as consumer } from '../../functions/queues/side-effects.js';
import { parseSideEffects, SqsSideEffectQueue } from '../../shared/adapters/sqs/SqsSideEffectQueue.js';
import type { SideEffect } from '../../shared/ports/SideEffectQueue.js';
import { provideDependencies, type Dependencies } from '../../shared/runtime/Dependencies.js';
import { InProcessSideEffectQueue } from '../../shared/sideEffects/InProcessSideEffectQueue.js';

const sha = 'a'.repeat(64);

describe('InProcessSideEffectQueue', () => {
  it('applies in batches and keeps a failed batch for the next attempt', async () => {
    const applied: SideEffect[][] = [];
    let fail = true;
    const q = new InProcessSideEffectQueue({
      intervalMs: 60_000,
      batchSize: 3,
      apply: async (batch) => {
        if (fail) throw new Error('database down');
        applied.push(batch);
      },
    });
    for (let i = 0; i < 5; i++) q.enqueue({ kind: 'download', sha256: sha });
    await q.drain();
    expect(applied).toEqual([]);
    fail = false;
    await q.drain();
    expect(applied.map((b) => b.length)).toEqual([3, 2]);
    expect(q.applied).toBe(5);
    await q.close();
  });

  it('stays within its memory bound, dropping the oldest', async () => {
    const q = new InProcessSideEffectQueue({ intervalMs: 60_000, batchSize: 1000, maxPending: 10, apply: async () => Promise.reject(new Error('down')) });
    for (let i = 0; i < 25; i++) q.enqueue({ kind: 'last-login', userId: i, at: i });
    expect(q.dropped).toBe(15);
    await q.close();
  });
});

describe('SqsSideEffectQueue', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('sends what a request enqueued as one message, and never throws', async () => {
    sqs.on(SendMessageCommand).resolves({});
    const q = new SqsSideEffectQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs/queue');
    await q.handOff(); // nothing to send
    expect(sqs.calls()).toHaveLength(0);
    q.enqueue({ kind: 'last-login', userId: 1, at: 5 });
    q.enqueue({ kind: 'download', sha256: sha });
    await q.handOff();
    const input = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input.QueueUrl).toBe('https://sqs/queue');
    expect(parseSideEffects(input.MessageBody!)).toEqual([
      { kind: 'last-login', userId: 1, at: 5 },
      { kind: 'download', sha256: sha },
    ]);
    const keyed = { kind: 'download', sha256: sha, client: 'b'.repeat(64), at: 7 } as const;
    expect(parseSideEffects(JSON.stringify([keyed]))).toEqual([keyed]);
    sqs.on(SendMessageCommand).rejects(new Error('SQS down'));
    q.enqueue({ kind: 'download', sha256: sha });
    await expect(q.handOff()).resolves.toBeUndefined();
  });

  it('builds its client from a factory only at the first hand-off with something to send, again after a failed build', async () => {
    sqs.on(SendMessageCommand).resolves({});
    let built = 0;
    let failNext = true;
    const q = new SqsSideEffectQueue(async () => {
      built++;
      if (failNext) {
        failNext = false;
        throw new Error('no client');
      }
      return new SQSClient({ region: 'us-east-1' });
    }, 'https://sqs/queue');
    await q.handOff();
    expect(built).toBe(0); // a request that queued nothing never loads the client
    q.enqueue({ kind: 'download', sha256: sha });
    await expect(q.handOff()).resolves.toBeUndefined(); // the build failed: logged, dropped
    expect(built).toBe(1);
    for (let i = 0; i < 2; i++) {
      q.enqueue({ kind: 'download', sha256: sha });
      await q.handOff();
    }
    expect(built).toBe(2);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(2);
  });

  it('rejects malformed messages', () => {
    expect(() => parseSideEffects('{}')).toThrow();
    expect(() => parseSideEffects('[{"kind":"download","sha256":"../x"}]')).toThrow();
    expect(() => parseSideEffects(JSON.stringify([{ kind: 'download', sha256: sha, client: '127.0.0.1', at: 1 }]))).toThrow();
    expect(() => parseSideEffects(JSON.stringify([{ kind: 'download', sha256: sha, client: sha }]))).toThrow();
    expect(() => parseSideEffects('[{"kind":"drop-table"}]')).toThrow();
  });
});

describe('side-effects consumer Lambda', () => {
  it('applies a batch in one go, reports malformed messages, and asks SQS to retry when the database fails', async () => {
    const statements: Array<{ text: string; params: unknown[] }> = [];
    let down = false;
    const db = {
      query: async (text: string, params: unknown[] = []) => {
        if (down) throw new Error('db down');
        statements.push({ text, params });
        return { rows: [], rowCount: 0 };
      },
    };
    provideDependencies(async () => ({ db }) as unknown as Dependencies);
    const record = (id: string, body: string) => ({ messageId: id, body }) as never;
    const event = {
      Records: [
        record('1', JSON.stringify([{ kind: 'download', sha256: sha }, { kind: 'last-login', userId: 3, at: 10 }])),
        record('2', JSON.stringify([{ kind: 'download', sha256: sha }])),
        record('3', 'not json'),
      ],
    };
    expect(await consumer(event)).toEqual({ batchItemFailures: [{ itemIdentifier: '3' }] });
    expect(statements).toHaveLength(2);
    const downloads = statements.find((s) => s.text.includes('downloads'))!;
    // Two downloads recorded without client keys (queued before keys existed): each counted.
    expect(downloads.params[0]).toEqual([sha, sha]);
    down = true;
    const failed = await consumer(event);
    expect(failed.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['1', '2', '3']);
  });
});

describe('InProcessSideEffectQueue drains', () => {
  it('keeps draining after an empty drain (regression: a drain of nothing must not stick)', async () => {
    const applied: SideEffect[] = [];
    const q = new InProcessSideEffectQueue({ intervalMs: 60_000, apply: async (b) => void applied.push(...b) });
    await q.drain();
    q.enqueue({ kind: 'download', sha256: sha });
    await q.drain();
    expect(applied).toHaveLength(1);
    await q.close();
  });
});

describe('revocation work on the side-effect queue', () => {
  it('carries settle-revocations and prune-sessions through SQS, and refuses a malformed prune', () => {
    const effects = [{ kind: 'settle-revocations' }, { kind: 'prune-sessions', userId: 12 }];
    expect(parseSideEffects(JSON.stringify(effects))).toEqual(effects);
    expect(() => parseSideEffects('[{"kind":"prune-sessions","userId":"12"}]')).toThrow();
    expect(() => parseSideEffects('[{"kind":"prune-sessions","userId":-1}]')).toThrow();
  });

  it('the in-process queue keeps only the part of a batch its apply hands back', async () => {
    const seen: SideEffect[][] = [];
    let failPrune = true;
    const q = new InProcessSideEffectQueue({
      intervalMs: 60_000,
      apply: async (batch) => {
        seen.push(batch);
        return failPrune ? batch.filter((e) => e.kind === 'prune-sessions') : [];
      },
    });
    q.enqueue({ kind: 'last-login', userId: 1, at: 1 });
    q.enqueue({ kind: 'prune-sessions', userId: 1 });
    await q.drain();
    expect(q.applied).toBe(1);
    failPrune = false;
    await q.drain();
    expect(seen.at(-1)).toEqual([{ kind: 'prune-sessions', userId: 1 }]); // the last-login is not applied twice
    expect(q.applied).toBe(2);
    await q.close();
  });

  it('the consumer sweeps the outbox on every batch; when DynamoDB fails it retries only the messages carrying DynamoDB work', async () => {
    const statements: string[] = [];
    let dynamoDown = true;
    const pending = [{ id: '7', userId: 3, revokeBefore: 1, state: { userId: 3, authVersion: 2, role: 'user', active: true }, keepSession: null, tokenHashes: ['c'.repeat(64)] }];
    const completed: string[] = [];
    const deleted: string[] = [];
    const deps = {
      db: { query: async (text: string) => (statements.push(text), { rows: [], rowCount: 0 }) },
      revocations: { pending: async () => pending.filter((p) => !completed.includes(p.id)), complete: async (id: string) => void completed.push(id) },
      sessions: {
        reissue: async () => undefined,
        applyUserState: async () => {
          if (dynamoDown) throw new Error('dynamodb down');
        },
        listForUser: async () => ({ sessions: [], state: null }),
      },
      apiTokens: { delete: async (h: string) => void deleted.push(h) },
    };
    provideDependencies(async () => deps as unknown as Dependencies);
    const record = (id: string, body: unknown) => ({ messageId: id, body: JSON.stringify(body) }) as never;
    const event = {
      Records: [record('a', [{ kind: 'last-login', userId: 3, at: 10 }]), record('b', [{ kind: 'settle-revocations' }]), record('c', [{ kind: 'prune-sessions', userId: 4 }])],
    };
    expect(await consumer(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'b' }] });
    expect(completed).toEqual([]);
    dynamoDown = false;
    // Any later batch, even one of bookkeeping only, completes the pending revocation.
    expect(await consumer({ Records: [record('d', [{ kind: 'last-login', userId: 3, at: 11 }])] })).toEqual({ batchItemFailures: [] });
    expect(completed).toEqual(['7']);
    expect(deleted).toEqual(['c'.repeat(64)]);
    expect(statements.filter((s) => s.includes('last_login'))).toHaveLength(2); // one per batch, none repeated
  });
});
