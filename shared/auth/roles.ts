/**
 * The global roles, weakest first: `user` may read and manage its own account, `publisher` may
 * also publish, `admin` may also manage users, and the one `root` may do everything.
 */
export const ROLES = ['user', 'publisher', 'admin', 'root'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}
