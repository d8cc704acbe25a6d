// Versions of a package that are equal in precedence (1.0.0 and 1.0.0+evil: semver ignores build
// metadata) cannot both be published. `precedence` holds the version without build metadata, as
// the semver package normalises it, written by every publish; a unique index over it settles
// concurrent publishes in the database. Rows stored before this migration keep NULL (the index
// is partial, so it builds whatever they hold); the publish transaction compares those under the
// package row lock.
export const sql = `
ALTER TABLE registry.package_versions ADD COLUMN precedence text;
CREATE UNIQUE INDEX package_versions_precedence_key
  ON registry.package_versions (package_id, precedence) WHERE precedence IS NOT NULL;
`;
