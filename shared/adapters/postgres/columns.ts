// Column conversions shared by the repositories: drivers hand timestamptz back as Date (pg,
// PGlite) or as a string (some drivers, JSON results), so every repository reads them the same way.
export const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
export const toDateOrNull = (v: Date | string | null): Date | null => (v === null ? null : toDate(v));
