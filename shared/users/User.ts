import type { Role } from '../auth/roles.js';

/** A user as stored. passwordHash never leaves the use cases. */
export interface UserRecord {
  id: number;
  username: string;
  email: string;
  role: Role;
  passwordHash: string;
  active: boolean;
  authVersion: number;
  createdAt: Date;
  updatedAt: Date;
  lastLogin: Date | null;
}

/** The public shape of a user, as the profile (docs/RFH_CLIENT.md) and admin listings show it. */
export function publicUser(u: UserRecord) {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    role: u.role,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
    last_login: u.lastLogin ? u.lastLogin.toISOString() : null,
  };
}
