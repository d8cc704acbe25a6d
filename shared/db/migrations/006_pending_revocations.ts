// The outbox of revocations that must reach DynamoDB. A password change, a deactivation, a
// member's removal or demotion commits its SQL change (and marks the API tokens it ends as
// revoked) together with one row here; the row is deleted once DynamoDB has it all: the user's
// auth state with its revocation time, the session that made the change kept alive, the token
// grants deleted. A row left behind (DynamoDB failed, the process died) is retried until it lands.
export const sql = `
CREATE TABLE registry.pending_revocations (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       integer     NOT NULL REFERENCES registry.users (id),
  -- Sessions of the user issued before this time (ms since epoch; at least the time the row is
  -- applied) end; null when only tokens end.
  revoke_before bigint,
  -- SHA-256 of the session that made the change, which survives it (a password change).
  keep_session  text        CHECK (keep_session ~ '^[0-9a-f]{64}$'),
  -- SHA-256 of the API tokens whose grants are deleted.
  token_hashes  text[]      NOT NULL DEFAULT '{}',
  reason        text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_revocations_user_idx ON registry.pending_revocations (user_id);
CREATE INDEX api_tokens_user_idx ON registry.api_tokens (user_id) WHERE revoked_at IS NULL;
`;
