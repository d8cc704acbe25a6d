import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ApiTokenGrant, ApiTokenStore } from '../../ports/ApiTokenStore.js';
import type { Role } from '../../auth/roles.js';
import { callDynamo } from './dynamoErrors.js';
import { fromItem, toItem } from './items.js';
import { apiTokenKey } from './sessionsTable.js';

/** API token grants in the sessions table, keyed `apitoken#<sha256>`, expiring by TTL too. */
export class DynamoApiTokenStore implements ApiTokenStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async put(tokenHash: string, grant: ApiTokenGrant): Promise<void> {
    await callDynamo(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({
            pk: apiTokenKey(tokenHash),
            token_id: grant.tokenId,
            token_user_id: grant.userId,
            username: grant.username,
            role: grant.role,
            registry: grant.registry,
            scopes: grant.scopes,
            expires_at: Math.ceil(grant.expiresAt / 1000),
          }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async get(tokenHash: string): Promise<ApiTokenGrant | null> {
    const out = await callDynamo(() =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: toItem({ pk: apiTokenKey(tokenHash) }), ConsistentRead: true })),
    );
    const i = out.Item ? fromItem<Record<string, unknown>>(out.Item) : undefined;
    if (!i) return null;
    return {
      tokenId: String(i.token_id),
      userId: Number(i.token_user_id),
      username: String(i.username),
      role: i.role as Role,
      registry: String(i.registry),
      scopes: (i.scopes as Array<'read' | 'publish'>) ?? [],
      expiresAt: Number(i.expires_at) * 1000,
    };
  }

  async delete(tokenHash: string): Promise<void> {
    await callDynamo(() => this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: toItem({ pk: apiTokenKey(tokenHash) }) })));
  }
}
