import type { Role } from '../auth/roles.js';

/** What authentication needs of an API token, stored under the SHA-256 of its secret. */
export interface ApiTokenGrant {
  tokenId: string;
  userId: number;
  /** The creator's name and role when the token was made; a later role change overrides the role. */
  username: string;
  role: Role;
  registry: string;
  scopes: Array<'read' | 'publish'>;
  expiresAt: number;
}

export interface ApiTokenStore {
  /** Conditional put on the hash: never overwrites. */
  put(tokenHash: string, grant: ApiTokenGrant): Promise<void>;
  /** One consistent read. */
  get(tokenHash: string): Promise<ApiTokenGrant | null>;
  delete(tokenHash: string): Promise<void>;
}
