// Which clients a version's downloads were counted for, per window (shared/sideEffects/
// downloadCounts.ts): the primary key lets one row of each (window, version, client) in, so a
// client's repeated downloads count once per window. client_hash is a SHA-256 of the window, the
// archive and the client's address, never the address. Windows older than a day are deleted by
// the batches that count downloads; the key leads with the window so that delete is a range scan.
export const sql = `
CREATE TABLE registry.download_clients (
  window_start timestamptz NOT NULL,
  version_id   integer     NOT NULL,
  client_hash  text        NOT NULL CHECK (client_hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (window_start, version_id, client_hash)
);
`;
