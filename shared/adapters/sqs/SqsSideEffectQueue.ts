import type { SQSClient } from '@aws-sdk/client-sqs';
import { logger } from '../../observability/telemetry.js';
import { SHA256_HEX } from '../../ports/BlobStore.js';
import type { SideEffect, SideEffectQueue } from '../../ports/SideEffectQueue.js';

/**
 * Side effects to SQS: what one request enqueued travels as one message (a JSON array), sent
 * when the request hands off, before the Lambda freezes. A failed send is logged and dropped:
 * counters and timestamps are never worth failing or delaying a response for, and what a
 * revocation queues is a retry of work whose record is in SQL (the outbox every consumer batch
 * sweeps) or the removal of session items that are dead already.
 */
export class SqsSideEffectQueue implements SideEffectQueue {
  private buffer: SideEffect[] = [];
  private client: SQSClient | Promise<SQSClient> | (() => Promise<SQSClient>);

  /** `client` may be a factory, called at the first hand-off that has something to send. */
  constructor(
    client: SQSClient | (() => Promise<SQSClient>),
    private readonly queueUrl: string,
  ) {
    this.client = client;
  }

  enqueue(effect: SideEffect): void {
    this.buffer.push(effect);
  }

  async handOff(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    try {
      if (typeof this.client === 'function') {
        const factory = this.client;
        this.client = factory().catch((err: unknown) => {
          this.client = factory; // try again at the next hand-off
          throw err;
        });
      }
      const [client, { SendMessageCommand }] = await Promise.all([this.client, import('@aws-sdk/client-sqs')]);
      await client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(batch) }));
    } catch (err) {
      logger.warn('side effects not queued', { count: batch.length, error: String(err) });
    }
  }

  close(): Promise<void> {
    return this.handOff();
  }
}

/** Parses one SQS message body written by SqsSideEffectQueue; anything else is rejected. */
export function parseSideEffects(body: string): SideEffect[] {
  const parsed: unknown = JSON.parse(body);
  if (!Array.isArray(parsed)) throw new Error('Side-effect message is not an array');
  return parsed.map((e: unknown) => {
    const x = e as Partial<Record<string, unknown>>;
    if (x.kind === 'last-login' && Number.isSafeInteger(x.userId) && Number.isFinite(x.at)) {
      return { kind: 'last-login', userId: x.userId as number, at: x.at as number };
    }
    if (x.kind === 'download' && typeof x.sha256 === 'string' && SHA256_HEX.test(x.sha256)) {
      if (x.client === undefined && x.at === undefined) return { kind: 'download', sha256: x.sha256 };
      if (typeof x.client === 'string' && SHA256_HEX.test(x.client) && Number.isFinite(x.at)) {
        return { kind: 'download', sha256: x.sha256, client: x.client, at: x.at as number };
      }
    }
    if (x.kind === 'token-used' && typeof x.tokenId === 'string' && /^[0-9a-f-]{36}$/.test(x.tokenId) && Number.isFinite(x.at)) {
      return { kind: 'token-used', tokenId: x.tokenId, at: x.at as number };
    }
    if (x.kind === 'settle-revocations') return { kind: 'settle-revocations' };
    if (x.kind === 'prune-sessions' && Number.isSafeInteger(x.userId) && (x.userId as number) > 0) {
      return { kind: 'prune-sessions', userId: x.userId as number };
    }
    throw new Error('Unknown side effect');
  });
}
