import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESSIONS_TABLE } from '../../shared/adapters/dynamodb/sessionsTable.js';

/**
 * Creates the sessions table where it is missing (local emulator, a DYNAMODB_ENDPOINT of the
 * developer's). In AWS the CDK stack owns the table. dynalite has no TTL, so it is not set here;
 * expiry is checked in code anyway.
 */
export async function ensureSessionsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: SESSIONS_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: SESSIONS_TABLE.userIndex.partitionKey, AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: SESSIONS_TABLE.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: SESSIONS_TABLE.userIndex.name,
            KeySchema: [{ AttributeName: SESSIONS_TABLE.userIndex.partitionKey, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      }),
    );
  } catch (err) {
    // Another process created it first.
    if ((err as { name?: string }).name !== 'ResourceInUseException') throw err;
  }
  for (let i = 0; i < 50; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Table ${tableName} did not become active`);
}
