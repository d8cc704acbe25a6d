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
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Role } from '../../auth/roles.js';
import type { AuthStateChange } from '../../ports/UserRepo.js';
import { SessionCollisionError, type Session, type SessionLookup, type SessionStore, type UserAuthState } from '../../ports/SessionStore.js';
import { callDynamo, isConditionFailed, unprocessedKeysError } from './dynamoErrors.js';
import { fromItem, toItem } from './items.js';
import { SESSIONS_TABLE, sessionKey, userStateKey } from './sessionsTable.js';

interface SessionItem {
  pk: string;
  user_id: number;
  username: string;
  role: Role;
  issued_at: number;
  expires_at: number;
  // Absent on items written before sessions were numbered; see toSession.
  session_id?: number;
  created_at?: number;
  client_address?: string;
  user_agent?: string;
}

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_MAX_KEYS = 100;
/** A user's sessions read for a listing at most (the index is unordered): 10 BatchGets. */
const LIST_MAX_KEYS = 1000;
const UNPROCESSED_RETRIES = 3;

/**
 * A session as stored. Items from before sessions were numbered get a stable number derived
 * from their token hash (52 bits of it), so they can still be listed and ended by number.
 */
function toSession(s: SessionItem, tokenHash: string): Session {
  const issuedAt = Number(s.issued_at);
  return {
    tokenHash,
    sessionId: s.session_id !== undefined ? Number(s.session_id) : Number.parseInt(tokenHash.slice(0, 13), 16) || 1,
    userId: Number(s.user_id),
    username: s.username,
    role: s.role,
    issuedAt,
    createdAt: s.created_at !== undefined ? Number(s.created_at) : issuedAt,
    expiresAt: Number(s.expires_at) * 1000,
    clientAddress: s.client_address ?? '',
    userAgent: s.user_agent ?? '',
  };
}

function toUserState(u: UserStateItem, userId: number): UserAuthState {
  return { userId, authVersion: Number(u.auth_version), role: u.role, active: u.active, revokedBefore: Number(u.revoked_before ?? 0) };
}

const SESSION_KEY_PREFIX = sessionKey('');

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
      session_id: session.sessionId,
      created_at: session.createdAt,
      client_address: session.clientAddress,
      user_agent: session.userAgent,
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
    if (Object.keys(out.UnprocessedKeys ?? {}).length > 0) throw unprocessedKeysError();
    const items = (out.Responses?.[this.tableName] ?? []).map((i) => fromItem<SessionItem | UserStateItem>(i));
    const s = items.find((i) => i.pk === sk) as SessionItem | undefined;
    const u = items.find((i) => i.pk === uk) as UserStateItem | undefined;
    return { session: s ? toSession(s, tokenHash) : null, state: u ? toUserState(u, userId) : null };
  }

  async listForUser(userId: number, limit: number): Promise<{ sessions: Session[]; state: UserAuthState | null }> {
    const keys = await this.sessionKeysOf(userId, LIST_MAX_KEYS);
    const uk = userStateKey(userId);
    const items: Array<SessionItem | UserStateItem> = [];
    const all = [uk, ...keys];
    for (let i = 0; i < all.length; i += BATCH_GET_MAX_KEYS) {
      items.push(...(await this.batchGet(all.slice(i, i + BATCH_GET_MAX_KEYS))));
    }
    const u = items.find((i) => i.pk === uk) as UserStateItem | undefined;
    const sessions = (items.filter((i) => i.pk !== uk) as SessionItem[])
      // The index is eventually consistent: a key may outlive its item by a moment, or point
      // at an item that moved to another user in between (never, but checked for free).
      .filter((i) => Number(i.user_id) === userId)
      .map((i) => toSession(i, i.pk.slice(SESSION_KEY_PREFIX.length)))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit);
    return { sessions, state: u ? toUserState(u, userId) : null };
  }

  /** Consistent reads of up to 100 keys, retrying keys DynamoDB leaves unprocessed (throttling). */
  private async batchGet(pks: string[]): Promise<Array<SessionItem | UserStateItem>> {
    const found: Array<SessionItem | UserStateItem> = [];
    let keys = pks.map((pk) => toItem({ pk }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES) throw unprocessedKeysError();
      const out = await callDynamo(() =>
        this.client.send(new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } })),
      );
      found.push(...(out.Responses?.[this.tableName] ?? []).map((i) => fromItem<SessionItem | UserStateItem>(i)));
      keys = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return found;
  }

  /** The keys of a user's session items from the user index (keys only), at most `max`. */
  private async sessionKeysOf(userId: number, max: number): Promise<string[]> {
    const keys: string[] = [];
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
            Limit: Math.min(max - keys.length, 1000),
          }),
        ),
      );
      for (const item of page.Items ?? []) keys.push(fromItem<{ pk: string }>(item).pk);
      startKey = page.LastEvaluatedKey;
    } while (startKey && keys.length < max);
    return keys.filter((pk) => pk.startsWith(SESSION_KEY_PREFIX));
  }

  async userState(userId: number): Promise<UserAuthState | null> {
    const out = await callDynamo(() =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: toItem({ pk: userStateKey(userId) }), ConsistentRead: true })),
    );
    return out.Item ? toUserState(fromItem<UserStateItem>(out.Item), userId) : null;
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
    const applied = await this.updateUnlessConditionFails({
      Key: toItem({ pk: userStateKey(change.userId) }),
      UpdateExpression: set,
      // Only a newer version lands: two racing changes end in the order SQL committed them.
      ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: toItem(values),
    });
    // A newer state is already there. Its revocation time may still be older than this one (a
    // role change overtook a password change whose write failed and is retried now): the
    // revocation time only ever moves forward, whatever the version.
    if (!applied && revokeBefore !== undefined) await this.revokeBefore(change.userId, revokeBefore);
  }

  private async revokeBefore(userId: number, revokeBefore: number): Promise<void> {
    // A condition failure means a later revocation is already there.
    await this.updateUnlessConditionFails({
      Key: toItem({ pk: userStateKey(userId) }),
      UpdateExpression: 'SET #rb = :rb',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#rb) OR #rb < :rb)',
      ExpressionAttributeNames: { '#rb': 'revoked_before' },
      ExpressionAttributeValues: toItem({ ':rb': revokeBefore }),
    });
  }

  async reissue(tokenHash: string, issuedAt: number): Promise<void> {
    // A condition failure means logged out meanwhile (nothing to keep alive), or moved further already.
    await this.updateUnlessConditionFails({
      Key: toItem({ pk: sessionKey(tokenHash) }),
      UpdateExpression: 'SET issued_at = :t',
      // Never backwards: a second, later revocation may have moved it further already.
      ConditionExpression: 'attribute_exists(pk) AND issued_at < :t',
      ExpressionAttributeValues: toItem({ ':t': issuedAt }),
    });
  }

  /** A conditional update; false (no error) when its condition did not hold. */
  private async updateUnlessConditionFails(input: Omit<UpdateItemCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await callDynamo(() => this.client.send(new UpdateItemCommand({ TableName: this.tableName, ...input })));
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async deleteAllForUser(userId: number, exceptTokenHash?: string): Promise<number> {
    const keep = exceptTokenHash ? sessionKey(exceptTokenHash) : undefined;
    let deleted = 0;
    for (const pk of await this.sessionKeysOf(userId, Number.POSITIVE_INFINITY)) {
      if (pk === keep) continue;
      await callDynamo(() => this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: toItem({ pk }) })));
      deleted++;
    }
    return deleted;
  }

  async ping(): Promise<void> {
    await callDynamo(() => this.client.send(new DescribeTableCommand({ TableName: this.tableName })));
  }
}
