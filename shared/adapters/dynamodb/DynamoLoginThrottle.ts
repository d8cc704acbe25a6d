import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LoginThrottle } from '../../ports/SessionStore.js';
import { callDynamo } from './dynamoErrors.js';
import { loginThrottleKey } from './sessionsTable.js';

/**
 * Failed-login counters in fixed windows. recordFailure is one atomic ADD (no read-modify-write),
 * so concurrent failures are all counted.
 */
export class DynamoLoginThrottle implements LoginThrottle {
  constructor(
    private readonly client: DynamoDBDocumentClient,
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
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: loginThrottleKey(account, start) } })),
    );
    return { failures: Number(out.Item?.failures ?? 0), retryAfterSeconds: (end - this.now()) / 1000 };
  }

  async recordFailure(account: string): Promise<{ failures: number; windowEndsAt: number }> {
    const { start, end } = this.window();
    const out = await callDynamo(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: loginThrottleKey(account, start) },
          UpdateExpression: 'ADD failures :one SET expires_at = :exp',
          ExpressionAttributeValues: { ':one': 1, ':exp': Math.ceil(end / 1000) + 60 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return { failures: Number(out.Attributes?.failures ?? 0), windowEndsAt: end };
  }
}
