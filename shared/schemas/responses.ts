import * as z from 'zod/mini';

// What the API answers, per route, for the OpenAPI document: the shapes the `rfh` client decodes
// (docs/RFH_CLIENT.md), with the JSON types it needs: ids and session numbers are integers, times
// are RFC 3339 strings. Answers may carry more fields than listed.

const time = z.iso.datetime({ offset: true }).check(z.describe('RFC 3339 time'));
const id = z.int().check(z.minimum(1));
const sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/), z.describe('SHA-256 of the archive, lowercase hex'));

export const errorBody = z.object({ error: z.string() });
export const messageBody = z.object({ message: z.string() });

export const healthBody = z.object({
  status: z.enum(['ok', 'unavailable']),
  service: z.string(),
  version: z.string(),
  stores: z.record(z.string(), z.string()),
});

const userFields = { id, username: z.string(), email: z.string(), role: z.string() };

export const loginBody = z.object({
  token: z.string(),
  expires_at: time,
  user: z.object(userFields),
  session_id: z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER), z.describe('The session number (an integer)')),
});

export const profileBody = z.object({ ...userFields, created_at: time, updated_at: time, last_login: z.nullable(time) });

export const registerBody = z.extend(loginBody, { ...userFields, created_at: time });

export const sessionsBody = z.object({
  sessions: z.array(
    z.object({
      id: z.int().check(z.minimum(1)),
      created_at: time,
      expires_at: time,
      client_address: z.nullable(z.string()),
      user_agent: z.nullable(z.string()),
      current: z.boolean(),
    }),
  ),
});

export const searchRows = z.array(
  z.object({
    id,
    name: z.string(),
    version: z.string(),
    latest: z.string(),
    description: z.string(),
    targets: z.array(z.string()),
    tags: z.array(z.string()),
    versions: z.array(z.string()),
    downloads: z.int().check(z.describe('Downloads of all versions')),
    flags: z.int().check(z.describe("Findings of the rule scanner in the latest version (GET …/versions/{version} lists them)")),
    created_at: time,
    updated_at: time,
    matches: z.array(
      z.object({
        path: z.string(),
        snippet: z.string().check(z.describe('Plain text around the matched words, at most 200 characters: escape it to show it')),
        highlights: z.array(z.tuple([z.int(), z.int()])).check(
          z.describe('The matched words in `snippet`: [start, end) offsets in UTF-16 code units, in order'),
        ),
      }),
    ).check(
      z.describe("Where the query matched the text of the latest version's files (at most 3 files); empty when the name, description or tags matched"),
    ),
  }),
);

export const packageBody = z.object({
  id,
  name: z.string(),
  description: z.string(),
  latest: z.nullable(z.string()),
  versions: z.array(z.string()),
  yanked_versions: z.array(z.string()).check(z.describe('The yanked ones among `versions`: installable, but not `latest` and not in search')),
  quarantined_versions: z.array(z.string()).check(z.describe('The quarantined ones among `versions`: their archives are not served')),
  tags: z.array(z.string()),
  targets: z.array(z.string()),
  owners: z.array(z.string()),
  downloads: z.int(),
  flags: z.int().check(z.describe('Findings of the rule scanner in the latest version (GET …/versions/{version} lists them)')),
  created_at: time,
  updated_at: time,
});

export const versionBody = z.object({
  id,
  package_id: id,
  name: z.string(),
  version: z.string(),
  description: z.string(),
  targets: z.array(z.string()),
  tags: z.array(z.string()),
  sha256,
  size_bytes: z.int(),
  size: z.int(),
  created_at: time,
  published_at: time,
  yanked: z.nullable(z.object({ at: time, reason: z.string(), by: z.string() })).check(
    z.describe('Set while the version is yanked: it is not `latest` and not in search, and stays installable'),
  ),
  quarantine: z.nullable(z.object({ at: time, reason: z.string() })).check(
    z.describe('Set while the version is quarantined: its archive is not served'),
  ),
  safety: z.object({
    scanner_version: z.nullable(z.int()).check(z.describe('The rule scanner that produced the findings; null when none has scanned this version yet')),
    findings: z.array(
      z.object({
        file: z.string().check(z.describe('Archive path; `<path>#name` for the file name, `rulestack.json#<field>` for a manifest field')),
        line: z.int(),
        column: z.int().check(z.describe('1-based, in Unicode code points')),
        rule: z.string(),
        severity: z.enum(['refuse', 'flag']).check(
          z.describe('flag: accepted and shown; refuse: found by a rescan in a version published before its rule (shown, nothing hidden)'),
        ),
        message: z.string(),
        excerpt: z.string().check(z.describe('Escaped (hidden characters read ⟨U+XXXX⟩) and with credentials redacted')),
      }),
    ),
  }).check(z.describe('What the rule scanner found in the version, in file, line and column order')),
});

export const publishBody = z.object({ id, name: z.string(), version: z.string(), sha256, size: z.int() });

export const ownersBody = z.object({ name: z.string(), owners: z.array(z.string()) });
