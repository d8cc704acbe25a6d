import { z } from 'zod';

// Input rules for accounts. The same schemas validate requests and describe them in OpenAPI.
export const USERNAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
export const PASSWORD_MIN = 8;
// argon2 would take more, but a bound keeps hashing cost and request size predictable.
export const PASSWORD_MAX = 128;

export const username = z
  .string({ error: 'must be a string' })
  .min(3, 'must be 3 to 50 characters')
  .max(50, 'must be 3 to 50 characters')
  .regex(USERNAME_PATTERN, 'may contain only letters, digits, ".", "_" and "-", and must start and end with a letter or digit');

export const email = z
  .string({ error: 'must be a string' })
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ error: 'must be an email address like name@example.com' }));

export const newPassword = z
  .string({ error: 'must be a string' })
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);

/** A password being checked rather than set: any length up to the maximum. */
const givenPassword = z
  .string({ error: 'must be a string' })
  .min(1, 'is required')
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);

export const assignableRole = z.enum(['user', 'publisher', 'admin'], { error: 'must be one of user, publisher, admin' });

export const registerRequest = z.object({
  username,
  email,
  password: newPassword,
  role: assignableRole.optional(),
});

export const loginRequest = z.object({
  username: z.string({ error: 'must be a string' }).min(1, 'is required').max(254, 'is too long'),
  password: givenPassword,
});

export const changePasswordRequest = z.object({
  current_password: givenPassword,
  new_password: newPassword,
});

export type RegisterRequest = z.infer<typeof registerRequest>;
export type LoginRequest = z.infer<typeof loginRequest>;
export type ChangePasswordRequest = z.infer<typeof changePasswordRequest>;
