// Versions can be yanked (by the package's owners or its registry's admins: it leaves `latest` and
// search but stays installable) and quarantined (by global admins: its archive is no longer
// served). Each mark is all three of when, why and who, or none of them; a reason is required and
// bounded like the API bounds it (shared/packages/VersionStatus.ts). The users are never deleted
// (accounts are deactivated), so `yanked_by` and `quarantined_by` always name someone.
export const sql = `
ALTER TABLE registry.package_versions
  ADD COLUMN yanked_at         timestamptz,
  ADD COLUMN yank_reason       text,
  ADD COLUMN yanked_by         integer REFERENCES registry.users (id),
  ADD COLUMN quarantined_at    timestamptz,
  ADD COLUMN quarantine_reason text,
  ADD COLUMN quarantined_by    integer REFERENCES registry.users (id),
  ADD CONSTRAINT package_versions_yank_check CHECK (
    (yanked_at IS NULL AND yank_reason IS NULL AND yanked_by IS NULL)
    OR (yanked_at IS NOT NULL AND yanked_by IS NOT NULL AND yank_reason IS NOT NULL
        AND char_length(yank_reason) BETWEEN 1 AND 500)
  ),
  ADD CONSTRAINT package_versions_quarantine_check CHECK (
    (quarantined_at IS NULL AND quarantine_reason IS NULL AND quarantined_by IS NULL)
    OR (quarantined_at IS NOT NULL AND quarantined_by IS NOT NULL AND quarantine_reason IS NOT NULL
        AND char_length(quarantine_reason) BETWEEN 1 AND 500)
  );
`;
