// Packages, their immutable versions and owners. Immutability of name@version and the single
// first owner are settled by constraints, so concurrent publishes need no locks in the process.
// Search: a weighted tsvector (name > description > tags) with a GIN index, and a trigram GiST
// index on the name for typo-tolerant nearest-name lookups, so no query runs ILIKE over every row.
export const sql = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE registry.packages (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 214),
  -- Copied from the latest version on publish, so search and reads need no join.
  latest_version text,
  description    text        NOT NULL DEFAULT '',
  tags           text[]      NOT NULL DEFAULT '{}',
  targets        text[]      NOT NULL DEFAULT '{}',
  created_by     integer     NOT NULL REFERENCES registry.users (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  -- Written by the publish transaction with the latest version's text (a generated column cannot
  -- use array_to_string, which is not immutable).
  search         tsvector    NOT NULL DEFAULT ''::tsvector,
  CONSTRAINT packages_name_key UNIQUE (name)
);
-- fastupdate off: publishes are rare and reads constant, so index entries go straight into the
-- index instead of a pending list that every search would scan until the next vacuum.
CREATE INDEX packages_search_idx ON registry.packages USING gin (search) WITH (fastupdate = off);
-- GiST rather than GIN: it also serves nearest-name ordering (name <-> query) for the fuzzy fallback.
CREATE INDEX packages_name_trgm_idx ON registry.packages USING gist (name gist_trgm_ops);
CREATE INDEX packages_tags_idx ON registry.packages USING gin (tags) WITH (fastupdate = off);
CREATE INDEX packages_targets_idx ON registry.packages USING gin (targets) WITH (fastupdate = off);

CREATE TABLE registry.package_versions (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id   integer     NOT NULL REFERENCES registry.packages (id),
  version      text        NOT NULL CHECK (char_length(version) BETWEEN 5 AND 64),
  description  text        NOT NULL DEFAULT '',
  tags         text[]      NOT NULL DEFAULT '{}',
  targets      text[]      NOT NULL DEFAULT '{}',
  license      text,
  manifest     jsonb       NOT NULL,
  sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes   integer     NOT NULL CHECK (size_bytes > 0),
  published_by integer     NOT NULL REFERENCES registry.users (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT package_versions_package_version_key UNIQUE (package_id, version)
);
CREATE INDEX package_versions_sha256_idx ON registry.package_versions (sha256);

CREATE TABLE registry.package_owners (
  package_id integer     NOT NULL REFERENCES registry.packages (id),
  user_id    integer     NOT NULL REFERENCES registry.users (id),
  added_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (package_id, user_id)
);
CREATE INDEX package_owners_user_idx ON registry.package_owners (user_id);
`;
