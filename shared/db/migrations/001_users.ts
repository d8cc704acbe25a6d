// Users and roles. Uniqueness (case-insensitive username and email, a single root) is enforced
// here, by the database, so concurrent registrations are settled without check-then-insert.
export const sql = `
CREATE TABLE registry.users (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text        NOT NULL CHECK (char_length(username) BETWEEN 3 AND 50),
  email         text        NOT NULL CHECK (char_length(email) <= 254),
  password_hash text        NOT NULL,
  role          text        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'publisher', 'admin', 'root')),
  active        boolean     NOT NULL DEFAULT true,
  -- Bumped by every change that must reach live sessions (password, role, deactivation);
  -- the DynamoDB auth-state item only accepts a newer version, so racing changes settle in order.
  auth_version  integer     NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  last_login    timestamptz,
  deactivated_at timestamptz
);
CREATE UNIQUE INDEX users_username_key ON registry.users (lower(username));
CREATE UNIQUE INDEX users_email_key ON registry.users (lower(email));
CREATE UNIQUE INDEX users_single_root ON registry.users ((true)) WHERE role = 'root';
`;
