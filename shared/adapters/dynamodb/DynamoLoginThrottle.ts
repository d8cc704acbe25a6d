import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LoginAdmission, LoginAttemptSlot, LoginLimits, LoginThrottle } from '../../ports/SessionStore.js';
import { callDynamo, isConditionFailed } from './dynamoErrors.js';
import { fromItem, toItem } from './items.js';
import { loginThrottleKey } from './sessionsTable.js';

/** How long a refused attempt is told to wait when only the places for attempts in flight are taken. */
const CONCURRENCY_RETRY_AFTER_SECONDS = 1;

/**
 * Login attempts per account in fixed windows, one item per account and window with two atomic
 * counters:
 *   failures  failed attempts in the window
 *   charged   attempts holding a place: the failures plus the attempts still in flight
 * (DynamoDB conditions cannot add two attributes, so the sum is kept as a counter of its own.)
 * `admit` is one conditional UpdateItem (ADD charged 1 if failures < limit and charged < limit +
 * allowance); `complete` is one UpdateItem (a failure: ADD failures 1, so its place stays charged;
 * otherwise: ADD charged -1). No read-modify-write anywhere, so concurrent attempts, in one process
 * or in a thousand Lambdas, are all counted. A place whose attempt never completed (the function
 * crashed between the two updates) expires with its window's item.
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
    try {
      await callDynamo(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(account, windowStart),
            UpdateExpression: 'ADD charged :one SET expires_at = :exp',
            ConditionExpression:
              '(attribute_not_exists(failures) OR failures < :maxFailures) AND (attribute_not_exists(charged) OR charged < :maxCharged)',
            ExpressionAttributeValues: toItem({
              ':one': 1,
              ':exp': this.expiresAt(windowStart),
              ':maxFailures': limits.maxFailures,
              ':maxCharged': limits.maxFailures + limits.concurrencyAllowance,
            }),
          }),
        ),
      );
      return { admitted: true, slot: { account, windowStart } };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    // Refused: only the reason (and so the Retry-After) is left to find out.
    const out = await callDynamo(() =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(account, windowStart), ConsistentRead: true })),
    );
    const failures = Number((out.Item ? fromItem<{ failures?: number }>(out.Item) : {}).failures ?? 0);
    if (failures >= limits.maxFailures) {
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
            ...(outcome === 'failure'
              ? { UpdateExpression: 'ADD failures :one', ConditionExpression: 'attribute_exists(charged)', ExpressionAttributeValues: toItem({ ':one': 1 }) }
              : { UpdateExpression: 'ADD charged :minusOne', ConditionExpression: 'charged > :zero', ExpressionAttributeValues: toItem({ ':minusOne': -1, ':zero': 0 }) }),
          }),
        ),
      );
    } catch (err) {
      // The window's item is gone (expired): there is nothing left to complete.
      if (!isConditionFailed(err)) throw err;
    }
  }
}
