// What the rule scanner (shared/safety) found in each published version. Publish refuses a
// version with a refusing finding, so the rows it writes are flags; the reprocessing command's
// rescan of versions published before a scanner change may also store refusing findings, which
// are shown, not acted on. Texts are bounded as the scanner bounds them (excerpts are short and
// escaped), with room to spare: a row beyond them is a bug, refused by the database.
// `scanner_version` is the SCANNER_VERSION whose findings the version carries (NULL: never
// scanned); `safety_revision` moves at every (re)scan, so whatever caches a version's findings
// can tell a rescan happened. A registry's policy lists the flag rules it refuses; ids are
// validated by the API against the scanner's list, which may change, so the column is not.
export const sql = `
CREATE TABLE registry.version_findings (
  version_id integer  NOT NULL REFERENCES registry.package_versions (id) ON DELETE CASCADE,
  ordinal    integer  NOT NULL CHECK (ordinal >= 0),
  file       text     NOT NULL CHECK (char_length(file) BETWEEN 1 AND 1200),
  line       integer  NOT NULL CHECK (line >= 1),
  column_number integer NOT NULL CHECK (column_number >= 1),
  rule       text     NOT NULL CHECK (rule ~ '^[a-z][a-z0-9-]{0,63}$'),
  severity   text     NOT NULL CHECK (severity IN ('refuse', 'flag')),
  message    text     NOT NULL CHECK (char_length(message) BETWEEN 1 AND 2000),
  excerpt    text     NOT NULL CHECK (char_length(excerpt) <= 2000),
  PRIMARY KEY (version_id, ordinal)
);

ALTER TABLE registry.package_versions
  ADD COLUMN scanner_version integer CHECK (scanner_version >= 1),
  ADD COLUMN safety_revision integer NOT NULL DEFAULT 0 CHECK (safety_revision >= 0);

ALTER TABLE registry.registries
  ADD COLUMN refused_flag_rules text[] NOT NULL DEFAULT '{}' CHECK (cardinality(refused_flag_rules) <= 64);
`;
