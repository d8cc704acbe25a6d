import {
  BatchGetItemCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { Role } from '../../routes.js';
import type { AuthStateChange } from '../../ports/UserRepo.js';
import { SessionCollisionError, type Session, type SessionLookup, type SessionStore, type UserAuthState } from '../../ports/SessionStore.js';
import { callDynamo, isConditionFailed, toDynamoStoreError } from './dynamoErrors.js';
import { fromItem, toItem } from './items.js';
import { SESSIONS_TABLE, sessionKey, userStateKey } from './sessionsTable.js';

interface SessionItem {
  pk: string;
  user_id: number;
  username: string;
  role: Role;
  issued_at: number;
  expires_at: number;
}

interface UserStateItem {
  pk: string;
  auth_version: number;
  role: Role;
  active: boolean;
  revoked_before?: number;
}

export class DynamoSessionStore implements SessionStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async create(session: Session): Promise<void> {
    const item: SessionItem = {
      pk: sessionKey(session.tokenHash),
      user_id: session.userId,
      username: session.username,
      role: session.role,
      issued_at: session.issuedAt,
      expires_at: Math.ceil(session.expiresAt / 1000),
    };
    try {
      await callDynamo(() =>
        this.client.send(
          new PutItemCommand({ TableName: this.tableName, Item: toItem(item), ConditionExpression: 'attribute_not_exists(pk)' }),
        ),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new SessionCollisionError();
      throw err;
    }
  }

  async lookup(tokenHash: string, userId: number): Promise<SessionLookup> {
    const sk = sessionKey(tokenHash);
    const uk = userStateKey(userId);
    const out = await callDynamo(() =>
      this.client.send(
        new BatchGetItemCommand({
          RequestItems: { [this.tableName]: { Keys: [toItem({ pk: sk }), toItem({ pk: uk })], ConsistentRead: true } },
        }),
      ),
    );
    // Two small keys never exceed BatchGet limits; unprocessed keys only come with throttling.
    if (Object.keys(out.UnprocessedKeys ?? {}).length > 0) throw toDynamoStoreError(new Error('Unprocessed keys'));
    const items = (out.Responses?.[this.tableName] ?? []).map((i) => fromItem<SessionItem | UserStateItem>(i));
    const s = items.find((i) => i.pk === sk) as SessionItem | undefined;
    const u = items.find((i) => i.pk === uk) as UserStateItem | undefined;
    return {
      session: s
        ? {
            tokenHash,
            userId: Number(s.user_id),
            username: s.username,
            role: s.role,
            issuedAt: Number(s.issued_at),
            expiresAt: Number(s.expires_at) * 1000,
          }
        : null,
      state: u
        ? {
            userId,
            authVersion: Number(u.auth_version),
            role: u.role,
            active: u.active,
            revokedBefore: Number(u.revoked_before ?? 0),
          }
        : null,
    };
  }

  async userState(userId: number): Promise<UserAuthState | null> {
    const out = await callDynamo(() =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: toItem({ pk: userStateKey(userId) }), ConsistentRead: true })),
    );
    const u = out.Item ? fromItem<UserStateItem>(out.Item) : undefined;
    return u
      ? { userId, authVersion: Number(u.auth_version), role: u.role, active: u.active, revokedBefore: Number(u.revoked_before ?? 0) }
      : null;
  }

  async delete(tokenHash: string): Promise<void> {
    await callDynamo(() =>
      this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: toItem({ pk: sessionKey(tokenHash) }) })),
    );
  }

  async applyUserState(change: AuthStateChange, revokeBefore?: number): Promise<void> {
    const names: Record<string, string> = { '#v': 'auth_version', '#r': 'role', '#a': 'active' };
    const values: Record<string, unknown> = { ':v': change.authVersion, ':r': change.role, ':a': change.active };
    let set = 'SET #v = :v, #r = :r, #a = :a';
    if (revokeBefore !== undefined) {
      names['#rb'] = 'revoked_before';
      values[':rb'] = revokeBefore;
      set += ', #rb = :rb';
    }
    try {
      await callDynamo(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: toItem({ pk: userStateKey(change.userId) }),
            UpdateExpression: set,
            // Only a newer version lands: two racing changes end in the order SQL committed them.
            ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: toItem(values),
          }),
        ),
      );
    } catch (err) {
      if (isConditionFailed(err)) return; // a newer state is already there
      throw err;
    }
  }

  async reissue(tokenHash: string, issuedAt: number): Promise<void> {
    try {
      await callDynamo(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: toItem({ pk: sessionKey(tokenHash) }),
            UpdateExpression: 'SET issued_at = :t',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: toItem({ ':t': issuedAt }),
          }),
        ),
      );
    } catch (err) {
      if (isConditionFailed(err)) return; // logged out meanwhile: nothing to keep alive
      throw err;
    }
  }

  async deleteAllForUser(userId: number, exceptTokenHash?: string): Promise<number> {
    const keep = exceptTokenHash ? sessionKey(exceptTokenHash) : undefined;
    let deleted = 0;
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await callDynamo(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: SESSIONS_TABLE.userIndex.name,
            KeyConditionExpression: 'user_id = :u',
            ExpressionAttributeValues: toItem({ ':u': userId }),
            ProjectionExpression: 'pk',
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const { pk } = fromItem<{ pk: string }>(item);
        if (pk === keep) continue;
        await callDynamo(() => this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: toItem({ pk }) })));
        deleted++;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return deleted;
  }

  async ping(): Promise<void> {
    await callDynamo(() => this.client.send(new DescribeTableCommand({ TableName: this.tableName })));
  }
}
