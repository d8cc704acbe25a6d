import * as z from 'zod/mini';
import { USERNAME_LENGTH_MESSAGE, USERNAME_MAX, USERNAME_MIN, USERNAME_PATTERN, USERNAME_PATTERN_MESSAGE } from './username.js';

// Input rules for accounts. The same schemas validate requests and describe them in OpenAPI.
export { USERNAME_PATTERN } from './username.js';
export const PASSWORD_MIN = 8;
// argon2 would take more, but a bound keeps hashing cost and request size predictable.
export const PASSWORD_MAX = 128;

/** A username as registration accepts it (see username.ts); login and lookups accept nothing else. */
export const username = z
  .string({ error: 'must be a string' })
  .check(z.minLength(USERNAME_MIN, USERNAME_LENGTH_MESSAGE), z.maxLength(USERNAME_MAX, USERNAME_LENGTH_MESSAGE), z.regex(USERNAME_PATTERN, USERNAME_PATTERN_MESSAGE));

export const email = z.pipe(
  z.string({ error: 'must be a string' }).check(z.maxLength(254, 'must be at most 254 characters')),
  z.email({ error: 'must be an email address like name@example.com' }),
);

export const newPassword = z
  .string({ error: 'must be a string' })
  .check(z.minLength(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`), z.maxLength(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`));

/** A password being checked rather than set: any length up to the maximum. */
const givenPassword = z
  .string({ error: 'must be a string' })
  .check(z.minLength(1, 'is required'), z.maxLength(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`));

export const assignableRole = z.enum(['user', 'publisher', 'admin'], { error: 'must be one of user, publisher, admin' });

export const registerRequest = z.object({
  username,
  email,
  password: newPassword,
  role: z.optional(assignableRole),
});

// A name registration would refuse belongs to no account: login answers it with the same 400 as
// registration, before any lookup, hashing or counting (so it gets no counter of its own).
export const loginRequest = z.object({
  username,
  password: givenPassword,
});

export const changePasswordRequest = z.object({
  current_password: givenPassword,
  new_password: newPassword,
});

export type RegisterRequest = z.infer<typeof registerRequest>;
export type LoginRequest = z.infer<typeof loginRequest>;
export type ChangePasswordRequest = z.infer<typeof changePasswordRequest>;

export const roleChangeRequest = z.object({ role: assignableRole });
