/**
 * Usernames: what registration accepts, and the one canonical form every comparison uses.
 *
 * A username is ASCII by this pattern, so its canonical form is plain ASCII lower case, and two
 * spellings name the same account exactly when their canonical forms are equal. Registration's
 * uniqueness (the unique index on lower(username)), every lookup by name (login, the register
 * retry, role changes) and every login counter go through `canonicalUsername`, so no spelling
 * can reach an account under a counter of its own. A string that is not a valid username has no
 * canonical form: no account can have that name, and it is refused before any lookup.
 *
 * Case folding is done here and nowhere else: JavaScript's toLowerCase() and PostgreSQL's lower()
 * both fold more than ASCII (U+0130 "İ" becomes "i" plus a dot in JavaScript, "i" in PostgreSQL),
 * and that difference once gave one account four counters.
 */
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 50;
export const USERNAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
export const USERNAME_LENGTH_MESSAGE = `must be ${USERNAME_MIN} to ${USERNAME_MAX} characters`;
export const USERNAME_PATTERN_MESSAGE =
  'may contain only letters, digits, ".", "_" and "-", and must start and end with a letter or digit';

/** True for exactly the names registration accepts. */
export function isValidUsername(name: string): boolean {
  return name.length >= USERNAME_MIN && name.length <= USERNAME_MAX && USERNAME_PATTERN.test(name);
}

/** ASCII lower case; every other character is left alone (there are none in a valid name). */
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

/**
 * The canonical form of a username (ASCII lower case), or null when the string is not a valid
 * username at all.
 */
export function canonicalUsername(name: string): string | null {
  return isValidUsername(name) ? asciiLower(name) : null;
}
