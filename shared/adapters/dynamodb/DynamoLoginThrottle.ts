import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LoginThrottle } from '../../ports/SessionStore.js';
import { callDynamo } from './dynamoErrors.js';
import { fromItem, toItem } from './items.js';
import { loginThrottleKey } from './sessionsTable.js';

/**
 * Failed-login counters in fixed windows. recordFailure is one atomic ADD (no read-modify-write),
 * so concurrent failures are all counted.
 */
export class DynamoLoginThrottle implements LoginThrottle {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  private window(): { start: number; end: number } {
    const size = this.windowSeconds * 1000;
    const start = Math.floor(this.now() / size) * size;
    return { start, end: start + size };
  }

  async current(account: string): Promise<{ failures: number; retryAfterSeconds: number }> {
    const { start, end } = this.window();
    const out = await callDynamo(() =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: toItem({ pk: loginThrottleKey(account, start) }) })),
    );
    const item = out.Item ? fromItem<{ failures?: number }>(out.Item) : undefined;
    return { failures: Number(item?.failures ?? 0), retryAfterSeconds: (end - this.now()) / 1000 };
  }

  async recordFailure(account: string): Promise<{ failures: number; windowEndsAt: number }> {
    const { start, end } = this.window();
    const out = await callDynamo(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ pk: loginThrottleKey(account, start) }),
          UpdateExpression: 'ADD failures :one SET expires_at = :exp',
          ExpressionAttributeValues: toItem({ ':one': 1, ':exp': Math.ceil(end / 1000) + 60 }),
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    const updated = out.Attributes ? fromItem<{ failures?: number }>(out.Attributes) : undefined;
    return { failures: Number(updated?.failures ?? 0), windowEndsAt: end };
  }
}
