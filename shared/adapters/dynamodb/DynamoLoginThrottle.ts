import { randomBytes } from 'node:crypto';
import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LoginAdmission, LoginAttemptSlot, LoginLimits, LoginThrottle } from '../../ports/SessionStore.js';
import { callDynamo, isConditionFailed } from './dynamoErrors.js';
import { fromItem, toItem } from './items.js';
import { loginThrottleKey } from './sessionsTable.js';

/** How long a refused attempt is told to wait when only the places for attempts in flight are taken. */
const CONCURRENCY_RETRY_AFTER_SECONDS = 1;

interface WindowItem {
  held?: Set<string>;
  failed?: Set<string>;
}

/**
 * Login attempts per account in fixed windows: one item per account and window, holding two
 * string sets of attempt ids (random, one per attempt):
 *   held    attempts holding a place: in flight, or failed
 *   failed  attempts that failed (always also held)
 * `admit` is one conditional UpdateItem: ADD the attempt's id to `held` if size(failed) < limit
 * and size(held) < limit + allowance. `complete` is one UpdateItem: a failure ADDs the id to
 * `failed` (its place stays held), a success or an abandoned attempt DELETEs it from `held`.
 * No read-modify-write, so concurrent attempts, in one process or in a thousand Lambdas, are all
 * counted; and every update is idempotent, so the SDK repeating one whose answer was lost (a
 * timeout) neither takes a second place nor frees one twice. A place whose attempt never
 * completed (the function crashed between the two updates) goes with its window's item (TTL).
 * The item stays small: at most limit + allowance ids of 11 characters.
 */
export class DynamoLoginThrottle implements LoginThrottle {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  private windowStart(): number {
    const size = this.windowSeconds * 1000;
    return Math.floor(this.now() / size) * size;
  }

  private key(account: string, windowStart: number) {
    return toItem({ pk: loginThrottleKey(account, windowStart) });
  }

  /** The item outlives its window by a minute, so completions of attempts still running find it. */
  private expiresAt(windowStart: number): number {
    return Math.ceil((windowStart + this.windowSeconds * 1000) / 1000) + 60;
  }

  async admit(account: string, limits: LoginLimits): Promise<LoginAdmission> {
    const windowStart = this.windowStart();
    const slot: LoginAttemptSlot = { account, windowStart, id: randomBytes(8).toString('base64url') };
    try {
      await callDynamo(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(account, windowStart),
            UpdateExpression: 'ADD held :ids SET expires_at = :exp',
            ConditionExpression:
              '(attribute_not_exists(failed) OR size(failed) < :maxFailures) AND (attribute_not_exists(held) OR size(held) < :maxHeld)',
            ExpressionAttributeValues: toItem({
              ':ids': new Set([slot.id]),
              ':exp': this.expiresAt(windowStart),
              ':maxFailures': limits.maxFailures,
              ':maxHeld': limits.maxFailures + limits.concurrencyAllowance,
            }),
          }),
        ),
      );
      return { admitted: true, slot };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    // Refused, or a repeat of this very update that had already taken the place: one read tells.
    const out = await callDynamo(() =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(account, windowStart), ConsistentRead: true })),
    );
    const item = out.Item ? fromItem<WindowItem>(out.Item) : {};
    if (item.held?.has(slot.id)) return { admitted: true, slot };
    if ((item.failed?.size ?? 0) >= limits.maxFailures) {
      const windowEnd = windowStart + this.windowSeconds * 1000;
      return { admitted: false, reason: 'failures', retryAfterSeconds: (windowEnd - this.now()) / 1000 };
    }
    return { admitted: false, reason: 'concurrency', retryAfterSeconds: CONCURRENCY_RETRY_AFTER_SECONDS };
  }

  async complete(slot: LoginAttemptSlot, outcome: 'failure' | 'released'): Promise<void> {
    try {
      await callDynamo(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(slot.account, slot.windowStart),
            UpdateExpression: outcome === 'failure' ? 'ADD failed :ids' : 'DELETE held :ids',
            // Only while the window's item still holds the place: never recreate an expired item.
            ConditionExpression: 'contains(held, :id)',
            ExpressionAttributeValues: toItem({ ':ids': new Set([slot.id]), ':id': slot.id }),
          }),
        ),
      );
    } catch (err) {
      // The place is gone already (the window's item expired, or this repeats a release).
      if (!isConditionFailed(err)) throw err;
    }
  }
}
