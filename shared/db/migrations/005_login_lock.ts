// When an account's failed logins in a window pass the limit, the lock is mirrored onto the user
// row, which every login reads anyway: a login then needs no extra DynamoDB read. The counter
// itself stays an atomic DynamoDB ADD.
export const sql = `
ALTER TABLE registry.users ADD COLUMN login_locked_until timestamptz;
`;
