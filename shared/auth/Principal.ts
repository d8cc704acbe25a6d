import type { Role } from '../routes.js';

/** Who is calling, as established by the authenticate middleware. */
export interface Principal {
  userId: number;
  username: string;
  role: Role;
  tokenHash: string;
}
