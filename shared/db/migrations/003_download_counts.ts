// Download counts per version, incremented in batches off the request path.
export const sql = `
ALTER TABLE registry.package_versions ADD COLUMN downloads bigint NOT NULL DEFAULT 0;
`;
