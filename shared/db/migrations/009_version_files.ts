// The files of each published version, for searching their text. `content` is what is indexed:
// the first 64 KiB of the file's UTF-8, cut at a character boundary (INDEXED_TEXT_MAX_BYTES in
// shared/packages/indexedText.ts; the CHECK holds the database to it); `size_bytes` is the whole
// file's size. Pages never show `content`: they read whole files from the archive. `search` is
// derived from `content` by PostgreSQL itself, so the index cannot disagree with the text; `<` and
// `>` are read as spaces, because the text-search parser drops whatever it takes for markup and
// rule files are full of `<Component>` and `<details>` that people search for.
// fastupdate off, as for the packages' search index: publishes are rare and searches constant, so
// entries go straight into the index instead of a pending list every search would scan.
// Versions published before this migration have no rows until `npm run reprocess` writes them.
export const sql = `
CREATE TABLE registry.version_files (
  version_id integer NOT NULL REFERENCES registry.package_versions (id) ON DELETE CASCADE,
  path       text    NOT NULL CHECK (char_length(path) BETWEEN 1 AND 1024),
  size_bytes integer NOT NULL CHECK (size_bytes >= 0),
  content    text    NOT NULL CHECK (octet_length(content) <= 65536),
  search     tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, translate(content, '<>', '  '))) STORED,
  PRIMARY KEY (version_id, path)
);
CREATE INDEX version_files_search_idx ON registry.version_files USING gin (search) WITH (fastupdate = off);
`;
