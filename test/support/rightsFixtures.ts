import type { Principal } from '../../shared/auth/Principal.js';
import type { Decision } from '../../shared/auth/decision.js';
import type { Role } from '../../shared/auth/roles.js';

// What the rights tables compare: a decision as 'allowed' or its status and message.

export const verdict = (d: Decision) => (d.allowed ? 'allowed' : { status: d.error.status, message: d.error.message });
export const refusal = (status: number, message: string) => ({ status, message });

/** The caller `ann` with `role`, signed in, or through an API token of the registry `token`. */
export const person = (role: Role, token?: string): Principal => ({
  userId: 7,
  username: 'ann',
  role,
  tokenHash: 'x',
  ...(token ? { apiToken: { id: '00000000-0000-0000-0000-000000000000', registry: token, scopes: ['read', 'publish'] as Array<'read' | 'publish'> } } : {}),
});
export const user = person('user');
export const publisher = person('publisher');
export const admin = person('admin');
export const root = person('root');
