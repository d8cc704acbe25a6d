import type { Role } from './roles.js';

/** Who is calling, as established by the authenticate middleware. */
export interface Principal {
  userId: number;
  username: string;
  role: Role;
  tokenHash: string;
  /** Set when the caller used an API token rather than a login session. */
  apiToken?: { id: string; registry: string; scopes: Array<'read' | 'publish'> };
}
