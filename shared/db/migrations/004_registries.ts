// Registries (namespaces of packages), their members, API tokens and the audit log.
// A package belongs to the registry named by its scope (`@acme/x` -> `acme`), unscoped ones to
// the built-in public registry `default`. Scopes already in use become registries owned by the
// publisher who first used them.
export const sql = `
CREATE TABLE registry.registries (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  description    text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
  visibility     text        NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
  -- Optimistic concurrency: PATCH must name the version it read (If-Match).
  config_version integer     NOT NULL DEFAULT 1,
  created_by     integer     REFERENCES registry.users (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT registries_name_key UNIQUE (name)
);
CREATE INDEX registries_created_by_idx ON registry.registries (created_by);
INSERT INTO registry.registries (name, description) VALUES ('default', 'The public registry of unscoped packages');

CREATE TABLE registry.registry_members (
  registry_id integer     NOT NULL REFERENCES registry.registries (id),
  user_id     integer     NOT NULL REFERENCES registry.users (id),
  role        text        NOT NULL CHECK (role IN ('reader', 'publisher', 'admin')),
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (registry_id, user_id)
);
CREATE INDEX registry_members_user_idx ON registry.registry_members (user_id);

INSERT INTO registry.registries (name, created_by)
SELECT DISTINCT ON (scope) scope, created_by
  FROM (SELECT split_part(substr(name, 2), '/', 1) AS scope, created_by, created_at
          FROM registry.packages WHERE name LIKE '@%/%') s
 ORDER BY scope, created_at;
INSERT INTO registry.registry_members (registry_id, user_id, role)
SELECT id, created_by, 'admin' FROM registry.registries WHERE created_by IS NOT NULL;

ALTER TABLE registry.packages ADD COLUMN registry_id integer REFERENCES registry.registries (id);
UPDATE registry.packages p SET registry_id = r.id
  FROM registry.registries r
 WHERE r.name = CASE WHEN p.name LIKE '@%/%' THEN split_part(substr(p.name, 2), '/', 1) ELSE 'default' END;
ALTER TABLE registry.packages ALTER COLUMN registry_id SET NOT NULL;
CREATE INDEX packages_registry_idx ON registry.packages (registry_id);

CREATE TABLE registry.api_tokens (
  id           uuid        PRIMARY KEY,
  registry_id  integer     NOT NULL REFERENCES registry.registries (id),
  user_id      integer     NOT NULL REFERENCES registry.users (id),
  name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  scopes       text[]      NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'publish']),
  -- SHA-256 of the secret, which is shown once and never stored.
  token_hash   text        NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  last_used_at timestamptz,
  CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_registry_idx ON registry.api_tokens (registry_id);

CREATE TABLE registry.audit_log (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  registry_id    integer     NOT NULL REFERENCES registry.registries (id),
  at             timestamptz NOT NULL DEFAULT now(),
  actor_user_id  integer     REFERENCES registry.users (id),
  actor_username text,
  token_id       uuid,
  action         text        NOT NULL,
  target         text,
  details        jsonb       NOT NULL DEFAULT '{}',
  source_ip      text
);
CREATE INDEX audit_log_registry_idx ON registry.audit_log (registry_id, id DESC);
-- Append-only, enforced by the database rather than by convention.
CREATE FUNCTION registry.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'registry.audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON registry.audit_log
  FOR EACH ROW EXECUTE FUNCTION registry.audit_log_is_append_only();
`;
