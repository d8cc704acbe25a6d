import { enforce, type Authorize } from '../../auth/decision.js';
import { conflict, notFound } from '../../errors.js';
import {
  latestOf,
  sortVersionsNewestFirst,
  type CatalogueOverview,
  type PackageRecord,
  type PackageSummary,
  type StoredFinding,
  type VersionRecord,
  type Visibility,
} from '../../packages/Package.js';
import { compareVersions, precedenceKey } from '../../packages/manifest.js';
import { contentMatchOf, HEADLINE_MARK } from '../../packages/searchSnippet.js';
import type { OwnerAdditionFacts, OwnerChangeFacts, PublishFacts, VersionMarkFacts } from '../../packages/rights.js';
import type { VersionMark } from '../../packages/VersionStatus.js';
import type { Principal } from '../../auth/Principal.js';
import type { Database, SqlClient } from '../../ports/Database.js';
import type { ArchiveAvailability, NewVersion, PackageRepo, PublishIntent, PublishOutcome, PublishPolicy, SearchQuery, VersionMarkChange } from '../../ports/PackageRepo.js';
import type { Role } from '../../auth/roles.js';
import type { AuditContext } from '../../ports/RegistryRepo.js';
import { registryOfPackage, type RegistryRole } from '../../registries/Registry.js';
import { ANONYMOUS, viewerOf, visibleRegistrySql, viewerParams, type Viewer } from '../../registries/Viewer.js';
import { canonicalUsername } from '../../users/username.js';
import { toDate } from './columns.js';
import { usernameIs } from './PgUserRepo.js';
import { appendAudit } from './auditLog.js';
import { insertVersionFiles } from './PgVersionFileIndex.js';
import { FINDINGS_JSON, insertVersionFindings } from './PgVersionSafetyStore.js';

interface VersionRow {
  id: number;
  package_id: number;
  name: string;
  version: string;
  description: string;
  tags: string[];
  targets: string[];
  license: string | null;
  sha256: string;
  size_bytes: number;
  published_by: string;
  downloads: number | string;
  created_at: Date | string;
  visibility: Visibility;
  yanked_at: Date | string | null;
  yank_reason: string | null;
  yanked_by: string | null;
  quarantined_at: Date | string | null;
  quarantine_reason: string | null;
  scanner_version: number | null;
  findings: StoredFinding[];
}


function toVersion(r: VersionRow): VersionRecord {
  return {
    id: r.id,
    packageId: r.package_id,
    name: r.name,
    version: r.version,
    description: r.description,
    tags: r.tags,
    targets: r.targets,
    license: r.license,
    sha256: r.sha256,
    sizeBytes: r.size_bytes,
    publishedBy: r.published_by,
    downloads: Number(r.downloads),
    createdAt: toDate(r.created_at),
    visibility: r.visibility,
    // Each mark is all of its columns or none of them (CHECKs of migration 010).
    yanked: r.yanked_at !== null && r.yank_reason !== null && r.yanked_by !== null ? { at: toDate(r.yanked_at), reason: r.yank_reason, by: r.yanked_by } : null,
    quarantine: r.quarantined_at !== null && r.quarantine_reason !== null ? { at: toDate(r.quarantined_at), reason: r.quarantine_reason } : null,
    safety: { scannerVersion: r.scanner_version, findings: r.findings },
  };
}

/** A package row as the catalogue lists it. */
interface SummaryRow {
  id: number;
  name: string;
  latest_version: string;
  description: string;
  tags: string[];
  targets: string[];
  created_at: Date | string;
  updated_at: Date | string;
  versions: string[];
  downloads: number | string;
  flags: number;
}

/**
 * A package of a search's page as pageJson writes it: a JSON array, its values by position (a
 * page of objects repeats every key on every package: twice the text to parse, and objects cost
 * more to build than arrays). Timestamps in milliseconds since the epoch; `matches` the excerpts
 * of its matching files.
 */
type SearchHit = [
  id: number,
  name: string,
  latestVersion: string,
  description: string,
  tags: string[],
  targets: string[],
  createdAt: number,
  updatedAt: number,
  versions: string[],
  downloads: number,
  flags: number,
  matches: Array<{ path: string; headline: string }>,
];

function searchHitToSummary(hit: SearchHit): PackageSummary {
  const [id, name, latestVersion, description, tags, targets, createdAt, updatedAt, versions, downloads, flags, matches] = hit;
  return {
    id,
    name,
    version: latestVersion,
    description,
    tags,
    targets,
    versions: sortVersionsNewestFirst(versions),
    downloads,
    flags,
    createdAt: new Date(createdAt),
    updatedAt: new Date(updatedAt),
    matches: matches.map((m) => contentMatchOf(m.path, m.headline)),
  };
}

function toSummary(r: SummaryRow): PackageSummary {
  return {
    id: r.id,
    name: r.name,
    version: r.latest_version,
    description: r.description,
    tags: r.tags,
    targets: r.targets,
    versions: sortVersionsNewestFirst(r.versions),
    downloads: Number(r.downloads),
    flags: r.flags,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** A package whose owners are to change (row locked; null when there is none), and the facts the change is decided on. */
interface OwnerChangeTarget {
  locked: { id: number; registryId: number } | null;
  facts: OwnerChangeFacts;
}

// Arrays are read as JSON (to_json): node-postgres parses a text[] one character at a time, a
// string allocated per character, where JSON.parse reads the whole value in one native pass (a
// search page's arrays made 40 KB of garbage per request, a fifth of all it allocated).
const VERSION_SELECT = `
  SELECT v.id, v.package_id, p.name, v.version, v.description, to_json(v.tags) AS tags, to_json(v.targets) AS targets, v.license,
         v.sha256, v.size_bytes, u.username AS published_by, v.downloads, v.created_at, r.visibility,
         v.yanked_at, v.yank_reason, (SELECT y.username FROM registry.users y WHERE y.id = v.yanked_by) AS yanked_by,
         v.quarantined_at, v.quarantine_reason, v.scanner_version, ${FINDINGS_JSON} AS findings
    FROM registry.package_versions v
    JOIN registry.packages p ON p.id = v.package_id
    JOIN registry.registries r ON r.id = p.registry_id
    JOIN registry.users u ON u.id = v.published_by`;


// Statements are module constants, the same string every call: the driver finds a prepared
// statement by its text, and a string built anew is hashed in full each time.
const VERSION_BY_ID = `${VERSION_SELECT} WHERE v.id = $1::int`;
const VERSION_IN_PACKAGE = `${VERSION_SELECT} WHERE v.package_id = $1 AND v.version = $2`;
const VISIBLE_VERSION = `${VERSION_SELECT} WHERE p.name = $1 AND v.version = $2 AND ${visibleRegistrySql(3)}`;
const VISIBLE_VERSIONS_OF_PACKAGE = `${VERSION_SELECT} WHERE p.name = $1 AND ${visibleRegistrySql(2)}`;

/**
 * The versions of the package `${alias}`, read in one pass as `vs`: all of them, the yanked and
 * the quarantined ones, the downloads of all, and the latest one's id (for its findings). Half the
 * database's work of a sub-select per list. Each list is newest published first, which is nearly
 * always newest first: sortVersionsNewestFirst then only checks the order.
 */
const versionsOf = (alias: string) => `CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(v.version ORDER BY v.id DESC), '{}') AS versions,
               coalesce(array_agg(v.version ORDER BY v.id DESC) FILTER (WHERE v.yanked_at IS NOT NULL), '{}') AS yanked_versions,
               coalesce(array_agg(v.version ORDER BY v.id DESC) FILTER (WHERE v.quarantined_at IS NOT NULL), '{}') AS quarantined_versions,
               coalesce(sum(v.downloads), 0)::bigint AS downloads,
               max(v.id) FILTER (WHERE v.version = ${alias}.latest_version) AS latest_id
          FROM registry.package_versions v WHERE v.package_id = ${alias}.id) vs`;

/** Findings of the rule scanner in the latest version of the package read by `versionsOf`. */
const LATEST_FLAGS = '(SELECT count(*) FROM registry.version_findings f WHERE f.version_id = vs.latest_id)::int';

/** A visible package by name. */
const PACKAGE_SQL = `SELECT p.id, p.name, p.description, p.latest_version, to_json(p.tags) AS tags, to_json(p.targets) AS targets, p.created_at, p.updated_at,
        r.name AS registry, r.visibility,
        to_json(vs.versions) AS versions, to_json(vs.yanked_versions) AS yanked_versions, to_json(vs.quarantined_versions) AS quarantined_versions,
        vs.downloads, ${LATEST_FLAGS} AS flags,
        to_json(ARRAY(SELECT u.username FROM registry.package_owners o JOIN registry.users u ON u.id = o.user_id
                       WHERE o.package_id = p.id ORDER BY o.added_at, u.username)) AS owners
   FROM registry.packages p JOIN registry.registries r ON r.id = p.registry_id
  ${versionsOf('p')}
  WHERE p.name = $1 AND ${visibleRegistrySql(2)}`;

/** A version that `latest` and search skip: yanked or quarantined (columns of package_versions). */
const WITHDRAWN = '(yanked_at IS NOT NULL OR quarantined_at IS NOT NULL)';

/** The columns of each mark a version can carry, and the audit actions that set and lift it. */
const MARKS = {
  yank: { at: 'yanked_at', reason: 'yank_reason', by: 'yanked_by', set: 'version.yank', lift: 'version.unyank' },
  quarantine: { at: 'quarantined_at', reason: 'quarantine_reason', by: 'quarantined_by', set: 'version.quarantine', lift: 'version.release' },
} as const satisfies Record<VersionMark, Record<string, string>>;

const alreadyPublished = (name: string, version: string) =>
  conflict(`${name}@${version} is already published; versions are immutable, publish a new version`);

/** Below this trigram similarity a name is not offered as a near miss. */
const FUZZY_THRESHOLD = 0.3;

/** Files of a content hit whose excerpts are shown. */
const MATCHES_PER_PACKAGE = 3;

/**
 * Text as ts_headline reads it: `<` and `>` replaced by markers (its parser would drop what it
 * takes for markup, and the index reads them as spaces too), and every marker character of the
 * file removed, so each one in the headline is ours (shared/packages/searchSnippet.ts).
 */
const headlineSource = (text: string) =>
  `translate(${text}, '<>${HEADLINE_MARK.start}${HEADLINE_MARK.stop}${HEADLINE_MARK.lessThan}${HEADLINE_MARK.greaterThan}', '${HEADLINE_MARK.lessThan}${HEADLINE_MARK.greaterThan}')`;
/** About 30 words around the densest match: a little more than a snippet holds, cut to size in TypeScript. */
const HEADLINE_OPTIONS = `StartSel="${HEADLINE_MARK.start}", StopSel="${HEADLINE_MARK.stop}", MaxWords=30, MinWords=12, ShortWord=3, MaxFragments=0`;
const headline = (text: string) => `ts_headline('english', ${headlineSource(text)}, (SELECT any_word FROM query), '${HEADLINE_OPTIONS}')`;

/**
 * The query `$1`, parsed once per search (the CTE `query`; each use below reads it through a
 * sub-select, which PostgreSQL runs once, before the rest):
 * - `any_language`: what names, descriptions and tags are matched against, English-stemmed or as
 *   written;
 * - `english`: what file text is matched against. File text is indexed in English only (migration
 *   009), so it is matched against the English query alone: `vault -deploying` then excludes a
 *   file with "deploy" (the unstemmed query would let it through);
 * - `has_words`: whether the query has a word to look up, not only stop words or negations (which
 *   would match nearly every file);
 * - `any_word`: the query's words, any of them, for ts_headline. It looks for a stretch of text
 *   that satisfies its query, and `helm ingress` is rarely satisfied in the few words around one
 *   match, so every AND and phrase operator of the positive part (querytree) is made an OR; its
 *   lexemes are stemmed already, so the text is cast, not parsed again;
 * - `lexemes`: the query's words stemmed as the index stems them, to find where a file matches.
 *
 * The query is a value computed at run time, not a constant the planner folds, so the plan does not
 * depend on the words: a prepared statement is planned once per connection and used for every
 * search (planning this statement costs more than running it), and the GIN indexes take the value
 * as their condition all the same.
 */
const QUERY_CTE = String.raw`query AS MATERIALIZED (
         SELECT parsed.any_language, parsed.english, querytree(parsed.english) <> 'T' AS has_words,
                regexp_replace(querytree(parsed.english), '\s(&|<->|<\d+>)\s', ' | ', 'g')::tsquery AS any_word,
                tsvector_to_array(to_tsvector('english', $1::text)) AS lexemes
           FROM (SELECT websearch_to_tsquery('english', $1::text) || websearch_to_tsquery('simple', $1::text) AS any_language,
                        websearch_to_tsquery('english', $1::text) AS english) parsed
       )`;
const ANY_LANGUAGE = '(SELECT any_language FROM query)';
const ENGLISH = '(SELECT english FROM query)';

/**
 * Where a file probably matches: where one of the query's words, stemmed as the index stems them,
 * starts a word (after a space, in lower case or capitalised), else where it appears at all.
 * ts_headline then reads only the text around it: it parses all the text it is given, so whole
 * files of 20 KB would cost ten times more. When that text holds no match after all (a stem
 * inside another word, or not spelt as its word starts: `happi`), the headline is computed from
 * the whole file.
 */
const matchAt = (text: string) => `(SELECT min(coalesce(nullif(strpos(${text}, ' ' || lexeme), 0) + 1, nullif(strpos(${text}, ' ' || initcap(lexeme)), 0) + 1,
                                      nullif(strpos(${text}, lexeme), 0)))
              FROM unnest((SELECT lexemes FROM query)) AS lexeme)`;
/** Characters of text before the match, and in all, that ts_headline reads: about 45 words, more than a snippet shows. */
const WINDOW_BEFORE = 100;
const WINDOW_LENGTH = 320;

/**
 * The search statement for a query (exported so the benchmark can EXPLAIN exactly what runs).
 * Hits: full-text matches on name (weight A), description (B) and tags (C), via the GIN index,
 * ranked exact name first, then ts_rank, then recency; only the page is kept, so ranking costs one
 * top-N sort. Content hits come after all of them: packages whose latest version has files
 * matching the query (the GIN index of version_files), most matching files first, then the most
 * recently published.
 * They are looked for only when the other hits do not fill the page, and only for a query with a
 * word to look up. Excerpts are computed last, for the content hits of the page only, from their
 * first MATCHES_PER_PACKAGE matching files by path, each with ts_headline over a few hundred
 * characters around a match rather than the whole file. One statement, one round trip; user text
 * is only ever a parameter. A query with no hit of either kind is answered with near misses
 * instead, by a statement of their own (nearMissStatement).
 * Without a query (blank `q`: a tag or target alone, or nothing), the catalogue is listed, the most
 * recently updated first, by a statement of its own: its plan is a scan in that order, not a match.
 */
export function searchStatement(query: SearchQuery, viewer: Viewer = ANONYMOUS): { text: string; params: unknown[] } {
  const q = query.q.trim();
  const params = filterParams(query, viewer);
  return q === '' ? { text: LIST_SQL, params } : { text: SEARCH_SQL, params: [q, ...params] };
}

/** The near misses of a query (not blank) that has no hit: names like it, for a query with a typo. */
export function nearMissStatement(query: SearchQuery, viewer: Viewer = ANONYMOUS): { text: string; params: unknown[] } {
  return { text: NEAR_MISS_SQL, params: [query.q.trim(), ...filterParams(query, viewer)] };
}

/** The parameters searchFilters numbers, in its order: tag, target, limit, offset, the viewer. */
const filterParams = (query: SearchQuery, viewer: Viewer) => [query.tag ?? null, query.target ?? null, query.limit, query.offset, ...viewerParams(viewer)];

/** The filters of a search, its parameters numbered from `first`: tag, target, then the viewer after limit and offset. */
function searchFilters(first: number): string {
  // Private registries' packages only for those who may see them. The registries the viewer sees
  // are listed once per statement (a sub-select run before the rest), not looked at again for
  // each package: a plan made for any viewer would otherwise test every rule on every row.
  return `p.latest_version IS NOT NULL
          AND ($${first}::text IS NULL OR p.tags @> ARRAY[$${first}::text])
          AND ($${first + 1}::text IS NULL OR p.targets @> ARRAY[$${first + 1}::text])
          AND p.registry_id = ANY (ARRAY(SELECT r.id FROM registry.registries r WHERE ${visibleRegistrySql(first + 4)}))`;
}

const SEARCH_COLUMNS = 'p.id, p.name, p.latest_version, p.description, p.tags, p.targets, p.created_at, p.updated_at';

/** A timestamp as whole milliseconds since the epoch (cut, not rounded, as a Date would read it). */
const epochMs = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::bigint`;

/**
 * A search's page, read from `page` in the given order: one JSON array with a SearchHit for each
 * package. One value of a few KB is read in one native JSON.parse, where a row per package made
 * the driver decode and convert every column of every row (about a tenth of the server's work
 * on a search), and the database write out each timestamp as text.
 */
const pageJson = (matches: string, order: string) => `SELECT coalesce(json_agg(json_build_array(
                page.id, page.name, page.latest_version, page.description, page.tags, page.targets,
                ${epochMs('page.created_at')}, ${epochMs('page.updated_at')},
                vs.versions, vs.downloads, ${LATEST_FLAGS}, ${matches}
              ) ORDER BY ${order}), '[]'::json) AS page
         FROM page
        ${versionsOf('page')}`;

/**
 * The excerpts of a content hit of the page (`[]` for the other hits): the first
 * MATCHES_PER_PACKAGE matching files by path, each with a headline around a match.
 */
const CONTENT_MATCHES = `CASE WHEN page.matched_paths IS NULL THEN '[]'::json ELSE (
                -- Each step in a subquery of its own (OFFSET 0: kept apart, so each value is
                -- computed once and not again wherever it is used), the file read once.
                SELECT coalesce(json_agg(json_build_object('path', near.path, 'headline',
                         coalesce(CASE WHEN strpos(near.headline, '${HEADLINE_MARK.start}') > 0 THEN near.headline END, ${headline('near.text')})
                       ) ORDER BY near.path), '[]'::json)
                  FROM (SELECT found.path, found.text,
                               CASE WHEN found.at IS NOT NULL THEN ${headline(`substr(found.text, greatest(1, found.at - ${WINDOW_BEFORE}), ${WINDOW_LENGTH})`)} END AS headline
                          FROM (SELECT body.path, body.text, ${matchAt('body.text')} AS at
                                  FROM (SELECT f.path, f.content || '' AS text
                                          FROM registry.version_files f
                                         WHERE f.version_id = page.version_id
                                           AND f.path IN (SELECT matched.path FROM unnest(page.matched_paths) AS matched(path) ORDER BY matched.path LIMIT ${MATCHES_PER_PACKAGE})
                                        OFFSET 0) body
                                OFFSET 0) found
                        OFFSET 0) near
              ) END`;

/**
 * The statements' texts, built once: they depend on nothing but constants, and one string used
 * again is one the driver finds at once among its prepared statements (a new string of 6 KB would
 * be hashed in full on every search).
 */
const SEARCH_SQL = ((): string => {
  const filters = searchFilters(2);
  const [limit, offset] = ['$4::int', '$5::int'];
  // Content hits are ordered by their latest version's id (the most recently published first), so
  // the page orders them exactly as content_hits chose them.
  const order = 'tier, exact DESC, rank DESC, version_id DESC NULLS LAST, updated_at DESC, id';
  return `WITH ${QUERY_CTE}, hits AS MATERIALIZED (
         SELECT ${SEARCH_COLUMNS}, 0 AS tier, (p.name = $1::text) AS exact, ts_rank(p.search, ${ANY_LANGUAGE}) AS rank,
                NULL::int AS version_id, NULL::text[] AS matched_paths
           FROM registry.packages p
          WHERE ${filters} AND p.search @@ ${ANY_LANGUAGE}
          ORDER BY exact DESC, rank DESC, p.updated_at DESC, p.id
          LIMIT ${limit} + ${offset}
       ), content_hits AS MATERIALIZED (
         -- Matching versions in rank order, from the index alone; each is then looked up (a latest
         -- version, visible, not a hit above: \`hits\` holds all of them when this runs) until the
         -- page is full, so only the first few of thousands of matches cost a lookup.
         -- The matching files' paths are read for the listed versions only: collecting them for
         -- every match made the count's hash table spill to disk for a common word.
         SELECT listed.*
           FROM (SELECT f.version_id, count(*) AS files
                   FROM registry.version_files f
                  WHERE f.search @@ ${ENGLISH}
                  GROUP BY f.version_id
                  ORDER BY files DESC, f.version_id DESC) matched
          CROSS JOIN LATERAL (
                SELECT ${SEARCH_COLUMNS}, 1 AS tier, false AS exact, matched.files::real AS rank, matched.version_id,
                       ARRAY(SELECT mf.path FROM registry.version_files mf
                              WHERE mf.version_id = matched.version_id AND mf.search @@ ${ENGLISH}) AS matched_paths
                  FROM registry.package_versions v JOIN registry.packages p ON p.id = v.package_id AND p.latest_version = v.version
                 WHERE v.id = matched.version_id AND ${filters} AND NOT (p.search @@ ${ANY_LANGUAGE})
                OFFSET 0) listed
          WHERE (SELECT has_words FROM query)
            AND (SELECT count(*) FROM hits) < ${limit} + ${offset}
          ORDER BY matched.files DESC, matched.version_id DESC
          LIMIT ${limit} + ${offset}
       ), page AS (
         SELECT * FROM (SELECT * FROM hits UNION ALL SELECT * FROM content_hits) r
          ORDER BY ${order}
          LIMIT ${limit} OFFSET ${offset}
       )
       ${pageJson(CONTENT_MATCHES, order.split(', ').map((key) => `page.${key}`).join(', '))}`;
})();

/**
 * Near misses of a query with no hit of either kind (typos): the names nearest to it, from the
 * trigram GiST index in nearest-first order, and of those the ones similar enough. Parameters as
 * the search statement's. Planned for each search: with the page's size known, the index is read
 * in order for only a few names, where a plan made for any size would sort them all.
 */
const NEAR_MISS_SQL = `WITH page AS (
         SELECT * FROM (
           SELECT ${SEARCH_COLUMNS}, similarity(p.name, $1::text) AS rank
             FROM registry.packages p
            WHERE ${searchFilters(2)}
            ORDER BY p.name <-> $1::text
            LIMIT $4::int + $5::int
         ) nearest
          WHERE nearest.rank >= ${FUZZY_THRESHOLD}
          ORDER BY nearest.rank DESC, nearest.updated_at DESC, nearest.id
          LIMIT $4::int OFFSET $5::int
       )
       ${pageJson("'[]'::json", 'page.rank DESC, page.updated_at DESC, page.id')}`;

/** The catalogue without a query: the visible packages, the most recently updated first. */
const LIST_SQL = `WITH page AS (
         SELECT ${SEARCH_COLUMNS}
           FROM registry.packages p
          WHERE ${searchFilters(1)}
          ORDER BY p.updated_at DESC, p.id
          LIMIT $3::int OFFSET $4::int
       )
       ${pageJson("'[]'::json", 'page.updated_at DESC, page.id')}`;

/**
 * What a use case's rule allowed, which must exist: a rule that lets a change through for a row
 * that is not there is a bug (the rules answer 404 for those), not something to write.
 */
function allowedRow<T>(row: T | null | undefined, what: string): T {
  if (row === null || row === undefined) throw new Error(`authorize allowed a change involving ${what}, which does not exist`);
  return row;
}

const samePrecedence = (name: string, version: string, published: string) =>
  conflict(
    `${name}@${version} is equal in precedence to the published version ${published}: versions that differ only in build metadata or leading zeros cannot both exist; publish a new version`,
  );

export class PgPackageRepo implements PackageRepo {
  constructor(private readonly db: Database) {}

  async publish(v: NewVersion): Promise<PublishOutcome> {
    const m = v.manifest;
    const ctx: AuditContext = { actor: v.publisher, sourceIp: v.sourceIp };
    return this.db.transaction(async (tx) => {
      // The registry row is locked shared, so rights in it cannot change under the publish; the
      // package row for update, so publishes of one package are serialised (`latest` is computed
      // on a stable set) and its owners cannot change under it either.
      const found = await this.registryForPublish(tx, m.name, v.publisher.userId);
      const decide = (pkg: PublishFacts['package']) =>
        enforce(v.authorize({ registry: found && { visibility: found.visibility, publisherRole: found.role }, package: pkg }));
      let pkg = found && (await this.lockPackageForPublish(tx, m.name, v.publisher.userId));
      decide(pkg);
      const registryId = allowedRow(found, `registry "${registryOfPackage(m.name)}"`).id;
      if (!pkg) {
        // Creating the package and becoming its owner is settled by the unique name: of two first
        // publishes, the second waits for the first to commit and then finds the row.
        const inserted = await tx.query<{ id: number }>(
          `INSERT INTO registry.packages (name, description, tags, targets, created_by, registry_id)
           VALUES ($1, $2, $3::text[], $4::text[], $5, $6)
           ON CONFLICT (name) DO NOTHING
           RETURNING id`,
          [m.name, m.description, m.tags, m.targets, v.publisher.userId, registryId],
        );
        if (inserted.rows[0]) {
          pkg = { id: inserted.rows[0].id, publisherIsOwner: true };
          await tx.query('INSERT INTO registry.package_owners (package_id, user_id) VALUES ($1, $2)', [pkg.id, v.publisher.userId]);
        } else {
          // A concurrent first publish created it meanwhile: decided again, on the package it committed.
          pkg = await this.lockPackageForPublish(tx, m.name, v.publisher.userId);
          decide(pkg);
        }
      }
      const packageId = allowedRow(pkg, `package ${m.name}`).id;

      // `precedence` is the version without build metadata; its unique index (partial: rows stored
      // before it existed have none) refuses a second version equal in precedence, so the insert
      // does nothing on any unique conflict and the conflict is told apart below.
      const added = await tx.query<{ id: number }>(
        `INSERT INTO registry.package_versions
           (package_id, version, description, tags, targets, license, manifest, sha256, size_bytes, published_by, precedence, scanner_version, safety_revision)
         VALUES ($1, $2, $3, $4::text[], $5::text[], $6, $7::jsonb, $8, $9, $10, $11, $12::int, CASE WHEN $12::int IS NULL THEN 0 ELSE 1 END)
         ON CONFLICT DO NOTHING
         RETURNING id`,
        [
          packageId, m.version, m.description, m.tags, m.targets, m.license ?? null, JSON.stringify(v.rawManifest), v.sha256, v.sizeBytes, v.publisher.userId,
          precedenceKey(m.version), v.safety?.scannerVersion ?? null,
        ],
      );
      if (!added.rows[0]) {
        const { rows: twins } = await tx.query<{ version: string }>(
          'SELECT version FROM registry.package_versions WHERE package_id = $1 AND precedence = $2 AND version <> $3',
          [packageId, precedenceKey(m.version), m.version],
        );
        if (twins[0]) throw samePrecedence(m.name, m.version, twins[0].version);
        const existing = (await this.versionBy(tx, VERSION_IN_PACKAGE, [packageId, m.version]))!;
        if (existing.sha256 === v.sha256) return { created: false, version: existing };
        throw alreadyPublished(m.name, m.version);
      }

      const { rows: all } = await tx.query<{ version: string; withdrawn: boolean }>(
        `SELECT version, ${WITHDRAWN} AS withdrawn FROM registry.package_versions WHERE package_id = $1`,
        [packageId],
      );
      // Rows stored before precedence keys existed have none, so the index cannot see them: they are
      // compared here, under the package row lock that serialises publishes of this package.
      const twin = all.find((r) => r.version !== m.version && compareVersions(r.version, m.version) === 0);
      if (twin) throw samePrecedence(m.name, m.version, twin.version);
      await this.pointLatestAt(tx, packageId, latestOf(all.filter((r) => !r.withdrawn).map((r) => r.version)));
      // The policy as the registry row locked here says it: one changed since checkPublish read it applies.
      if (v.safety) await insertVersionFindings(tx, added.rows[0].id, v.safety.admit(allowedRow(found, 'registry').refused_flag_rules));
      await insertVersionFiles(tx, added.rows[0].id, v.files);
      const version = (await this.versionBy(tx, VERSION_BY_ID, [added.rows[0].id]))!;
      await appendAudit(tx, registryId, ctx, 'package.publish', `${m.name}@${m.version}`, { sha256: v.sha256, size: v.sizeBytes });
      await v.beforeCommit?.();
      return { created: true, version };
    });
  }

  /**
   * Points the package at its latest version (the package row locked by the caller). The package
   * shows the description, tags and targets of its latest version; with none (every version yanked
   * or quarantined) it leaves search, which lists only packages with a latest version.
   */
  private async pointLatestAt(tx: SqlClient, packageId: number, latest: string | null): Promise<void> {
    if (latest === null) {
      await tx.query('UPDATE registry.packages SET latest_version = NULL, updated_at = now() WHERE id = $1::int', [packageId]);
      return;
    }
    await tx.query(
      `UPDATE registry.packages p
          SET latest_version = v.version, description = v.description, tags = v.tags, targets = v.targets, updated_at = now(),
              search = setweight(to_tsvector('simple', replace(p.name, '/', ' ')), 'A')
                    || setweight(to_tsvector('english', v.description), 'B')
                    || setweight(to_tsvector('simple', array_to_string(v.tags, ' ')), 'C')
         FROM registry.package_versions v
        WHERE p.id = $1 AND v.package_id = p.id AND v.version = $2`,
      [packageId, latest],
    );
  }

  /** Moves `latest` to the highest version neither yanked nor quarantined, if it is not there (the package row locked by the caller). */
  private async refreshLatest(tx: SqlClient, packageId: number): Promise<void> {
    const { rows } = await tx.query<{ version: string; withdrawn: boolean; latest: string | null }>(
      `SELECT v.version, ${WITHDRAWN} AS withdrawn, p.latest_version AS latest
         FROM registry.packages p JOIN registry.package_versions v ON v.package_id = p.id
        WHERE p.id = $1::int`,
      [packageId],
    );
    const latest = latestOf(rows.filter((r) => !r.withdrawn).map((r) => r.version));
    if (latest !== (rows[0]?.latest ?? null)) await this.pointLatestAt(tx, packageId, latest);
  }

  /** The registry of the package's scope, with the publisher's role in it, locked shared; null when there is none. */
  private async registryForPublish(tx: SqlClient, packageName: string, userId: number) {
    const { rows } = await tx.query<{ id: number; visibility: Visibility; role: RegistryRole | null; refused_flag_rules: string[] }>(
      `SELECT r.id, r.visibility, r.refused_flag_rules,
              (SELECT m.role FROM registry.registry_members m WHERE m.registry_id = r.id AND m.user_id = $2) AS role
         FROM registry.registries r WHERE r.name = $1 FOR SHARE`,
      [registryOfPackage(packageName), userId],
    );
    return rows[0] ?? null;
  }

  /** The package, locked for update, and whether the publisher owns it; null when it does not exist. */
  private async lockPackageForPublish(tx: SqlClient, name: string, userId: number) {
    const { rows } = await tx.query<{ id: number; owner: boolean }>(
      `SELECT p.id,
              EXISTS (SELECT 1 FROM registry.package_owners o WHERE o.package_id = p.id AND o.user_id = $2) AS owner
         FROM registry.packages p WHERE p.name = $1 FOR UPDATE`,
      [name, userId],
    );
    return rows[0] ? { id: rows[0].id, publisherIsOwner: rows[0].owner } : null;
  }

  async checkPublish(intent: PublishIntent): Promise<PublishPolicy> {
    const { rows } = await this.db.query<{
      visibility: Visibility;
      refused_flag_rules: string[];
      role: RegistryRole | null;
      package_id: number | null;
      owner: boolean;
      published_sha256: string | null;
    }>(
      `SELECT r.visibility, r.refused_flag_rules,
              (SELECT m.role FROM registry.registry_members m WHERE m.registry_id = r.id AND m.user_id = $2) AS role,
              p.id AS package_id,
              EXISTS (SELECT 1 FROM registry.package_owners o WHERE o.package_id = p.id AND o.user_id = $2) AS owner,
              (SELECT v.sha256 FROM registry.package_versions v WHERE v.package_id = p.id AND v.version = $4) AS published_sha256
         FROM registry.registries r LEFT JOIN registry.packages p ON p.name = $3
        WHERE r.name = $1`,
      [registryOfPackage(intent.name), intent.publisher.userId, intent.name, intent.version],
    );
    const row = rows[0];
    enforce(
      intent.authorize({
        registry: row ? { visibility: row.visibility, publisherRole: row.role } : null,
        package: row && row.package_id !== null ? { publisherIsOwner: row.owner } : null,
      }),
    );
    if (row && row.published_sha256 !== null && row.published_sha256 !== intent.sha256) throw alreadyPublished(intent.name, intent.version);
    return { refusedFlagRules: row?.refused_flag_rules ?? [], alreadyPublished: row?.published_sha256 === intent.sha256 };
  }

  private async versionBy(db: SqlClient, text: string, params: unknown[]): Promise<VersionRecord | null> {
    const { rows } = await db.query<VersionRow>(text, params);
    return rows[0] ? toVersion(rows[0]) : null;
  }

  getVersion(name: string, version: string, viewer: Viewer): Promise<VersionRecord | null> {
    return this.versionBy(this.db, VISIBLE_VERSION, [name, version, ...viewerParams(viewer)]);
  }

  async listVersions(name: string, viewer: Viewer): Promise<VersionRecord[]> {
    const { rows } = await this.db.query<VersionRow>(VISIBLE_VERSIONS_OF_PACKAGE, [name, ...viewerParams(viewer)]);
    const byVersion = new Map(rows.map((r) => [r.version, toVersion(r)]));
    return sortVersionsNewestFirst([...byVersion.keys()]).map((v) => byVersion.get(v)!);
  }

  async catalogueOverview(viewer: Viewer, listLength: number): Promise<CatalogueOverview> {
    const visibleWhere = `WHERE p.latest_version IS NOT NULL AND ${visibleRegistrySql(1)}`;
    const visible = `FROM registry.packages p JOIN registry.registries r ON r.id = p.registry_id
        ${visibleWhere}`;
    const listed = `SELECT p.id, p.name, p.latest_version, p.description, to_json(p.tags) AS tags, to_json(p.targets) AS targets,
              p.created_at, p.updated_at, to_json(vs.versions) AS versions, vs.downloads, ${LATEST_FLAGS} AS flags
         FROM registry.packages p JOIN registry.registries r ON r.id = p.registry_id
        ${versionsOf('p')}
        ${visibleWhere}`;
    const [totals, lists] = await Promise.all([
      this.db.query<{ packages: number | string; versions: number | string }>(
        `SELECT (SELECT count(*) ${visible})::int AS packages,
                (SELECT count(*) FROM registry.package_versions v JOIN registry.packages p ON p.id = v.package_id
                   JOIN registry.registries r ON r.id = p.registry_id WHERE ${visibleRegistrySql(1)})::int AS versions`,
        viewerParams(viewer),
      ),
      this.db.query<SummaryRow & { list: 'recent' | 'popular' }>(
        `(SELECT 'recent' AS list, l.* FROM (${listed}) l ORDER BY l.updated_at DESC, l.id LIMIT $4::int)
         UNION ALL
         (SELECT 'popular' AS list, l.* FROM (${listed}) l ORDER BY l.downloads DESC, l.name LIMIT $4::int)`,
        [...viewerParams(viewer), listLength],
      ),
    ]);
    const listOf = (which: 'recent' | 'popular') =>
      lists.rows.filter((r) => r.list === which).map(toSummary);
    return {
      packages: Number(totals.rows[0]?.packages ?? 0),
      versions: Number(totals.rows[0]?.versions ?? 0),
      recent: listOf('recent'),
      popular: listOf('popular'),
    };
  }

  async getPackage(name: string, viewer: Viewer): Promise<PackageRecord | null> {
    const { rows } = await this.db.query<{
      id: number;
      name: string;
      description: string;
      latest_version: string | null;
      tags: string[];
      targets: string[];
      created_at: Date | string;
      updated_at: Date | string;
      versions: string[] | null;
      yanked_versions: string[] | null;
      quarantined_versions: string[] | null;
      owners: string[] | null;
      downloads: number | string;
      flags: number;
      registry: string;
      visibility: Visibility;
    }>(
      PACKAGE_SQL,
      [name, ...viewerParams(viewer)],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      latest: r.latest_version,
      tags: r.tags,
      targets: r.targets,
      versions: sortVersionsNewestFirst(r.versions ?? []),
      yankedVersions: sortVersionsNewestFirst(r.yanked_versions ?? []),
      quarantinedVersions: sortVersionsNewestFirst(r.quarantined_versions ?? []),
      owners: r.owners ?? [],
      downloads: Number(r.downloads),
      flags: r.flags,
      registry: r.registry,
      visibility: r.visibility,
      createdAt: toDate(r.created_at),
      updatedAt: toDate(r.updated_at),
    };
  }

  async search(query: SearchQuery, viewer: Viewer): Promise<PackageSummary[]> {
    const run = async (statement: { text: string; params: unknown[] }) => (await this.db.query<{ page: SearchHit[] }>(statement.text, statement.params)).rows[0]?.page ?? [];
    let hits = await run(searchStatement(query, viewer));
    // Near misses only for a query with no hit at all: an empty first page says so, an empty later
    // page may only be past the last hit.
    if (hits.length === 0 && query.q.trim() !== '') {
      const hasHits = query.offset > 0 && (await run(searchStatement({ ...query, limit: 1, offset: 0 }, viewer))).length > 0;
      if (!hasHits) hits = await run(nearMissStatement(query, viewer));
    }
    return hits.map(searchHitToSummary);
  }

  async findArchive(sha256: string, viewer: Viewer): Promise<ArchiveAvailability | null> {
    // A version that is not quarantined comes first: its archive is served whatever the others say.
    const { rows } = await this.db.query<{ visibility: Visibility; name: string; version: string; quarantine_reason: string | null }>(
      `SELECT r.visibility, p.name, v.version, v.quarantine_reason FROM registry.package_versions v
         JOIN registry.packages p ON p.id = v.package_id JOIN registry.registries r ON r.id = p.registry_id
        WHERE v.sha256 = $1::text AND ${visibleRegistrySql(2)}
        ORDER BY v.quarantined_at IS NOT NULL, v.id LIMIT 10`,
      [sha256, ...viewerParams(viewer)],
    );
    const first = rows[0];
    if (!first) return null;
    if (first.quarantine_reason === null) return { visibility: first.visibility };
    return { quarantined: rows.map((r) => ({ name: r.name, version: r.version, reason: r.quarantine_reason ?? '' })) };
  }

  async listOwners(name: string, viewer: Viewer): Promise<string[] | null> {
    const { rows } = await this.db.query<{ owners: string[] }>(
      `SELECT ARRAY(SELECT u.username FROM registry.package_owners o JOIN registry.users u ON u.id = o.user_id
                     WHERE o.package_id = p.id ORDER BY o.added_at, u.username) AS owners
         FROM registry.packages p JOIN registry.registries r ON r.id = p.registry_id
        WHERE p.name = $1 AND ${visibleRegistrySql(2)}`,
      [name, ...viewerParams(viewer)],
    );
    return rows[0] ? rows[0].owners : null;
  }

  /**
   * Locks the package row and reads what a change of its owners is decided on, with the actor's
   * rights as they are now: whether the actor may see it, owns it, and their role in its registry.
   */
  private async lockForOwnerChange(tx: SqlClient, name: string, actor: Principal): Promise<OwnerChangeTarget> {
    const { rows } = await tx.query<{ id: number; registry_id: number; registry: string; owner: boolean; visible: boolean; role: RegistryRole | null }>(
      `SELECT p.id, p.registry_id, r.name AS registry,
              EXISTS (SELECT 1 FROM registry.package_owners o WHERE o.package_id = p.id AND o.user_id = $2) AS owner,
              (SELECT m.role FROM registry.registry_members m WHERE m.registry_id = r.id AND m.user_id = $2) AS role,
              ${visibleRegistrySql(3)} AS visible
         FROM registry.packages p JOIN registry.registries r ON r.id = p.registry_id
        WHERE p.name = $1 FOR UPDATE OF p`,
      [name, actor.userId, ...viewerParams(viewerOf(actor))],
    );
    const pkg = rows[0];
    return {
      locked: pkg ? { id: pkg.id, registryId: pkg.registry_id } : null,
      facts: {
        package: pkg ? { registry: pkg.registry, visibleToActor: pkg.visible, actorIsOwner: pkg.owner, actorRegistryRole: pkg.role } : null,
      },
    };
  }

  private async ownersOf(tx: SqlClient, packageId: number): Promise<string[]> {
    const { rows } = await tx.query<{ username: string }>(
      `SELECT u.username FROM registry.package_owners o JOIN registry.users u ON u.id = o.user_id
        WHERE o.package_id = $1 ORDER BY o.added_at, u.username`,
      [packageId],
    );
    return rows.map((r) => r.username);
  }

  addOwner(name: string, username: string, ctx: AuditContext, authorize: Authorize<OwnerAdditionFacts>): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const { locked, facts } = await this.lockForOwnerChange(tx, name, ctx.actor);
      const { rows } = await tx.query<{ id: number; username: string; role: Role; active: boolean; registry_role: RegistryRole | null }>(
        `SELECT u.id, u.username, u.role, u.active,
                (SELECT m.role FROM registry.registry_members m WHERE m.registry_id = $2::int AND m.user_id = u.id) AS registry_role
           FROM registry.users u WHERE ${usernameIs('u.username', '$1')}`,
        [canonicalUsername(username), locked?.registryId ?? null],
      );
      const candidate = rows[0];
      enforce(
        authorize({
          ...facts,
          candidate: candidate ? { username: candidate.username, role: candidate.role, active: candidate.active, registryRole: candidate.registry_role } : null,
        }),
      );
      const { id: packageId, registryId } = allowedRow(locked, `package ${name}`);
      const user = allowedRow(candidate, `user ${username}`);
      const added = await tx.query(
        'INSERT INTO registry.package_owners (package_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [packageId, user.id],
      );
      if (added.rowCount > 0) await appendAudit(tx, registryId, ctx, 'package.owner.add', name, { owner: user.username });
      return this.ownersOf(tx, packageId);
    });
  }

  removeOwner(name: string, username: string, ctx: AuditContext, authorize: Authorize<OwnerChangeFacts>): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const { locked, facts } = await this.lockForOwnerChange(tx, name, ctx.actor);
      enforce(authorize(facts));
      const { id: packageId, registryId } = allowedRow(locked, `package ${name}`);
      const owners = await this.ownersOf(tx, packageId);
      const wanted = canonicalUsername(username);
      const target = owners.find((o) => wanted !== null && canonicalUsername(o) === wanted);
      if (!target) throw notFound(`${username} is not an owner of ${name}`);
      if (owners.length === 1) throw conflict(`${target} is the last owner of ${name} and cannot be removed`);
      await tx.query(
        `DELETE FROM registry.package_owners o USING registry.users u
          WHERE o.package_id = $1 AND o.user_id = u.id AND lower(u.username) = lower($2)`,
        [packageId, target],
      );
      await appendAudit(tx, registryId, ctx, 'package.owner.remove', name, { owner: target });
      return owners.filter((o) => o !== target);
    });
  }

  markVersion(name: string, version: string, change: VersionMarkChange, ctx: AuditContext, authorize: Authorize<VersionMarkFacts>): Promise<VersionRecord> {
    const mark = MARKS[change.mark];
    return this.db.transaction(async (tx) => {
      // The package row is locked as publish locks it: a mark and a publish of one package are
      // serialised, so each computes `latest` on the versions as the other left them.
      const { locked, facts } = await this.lockForOwnerChange(tx, name, ctx.actor);
      const { rows } = await tx.query<{ id: number; reason: string | null }>(
        `SELECT id, ${mark.reason} AS reason FROM registry.package_versions WHERE package_id = $1::int AND version = $2::text`,
        [locked?.id ?? null, version],
      );
      enforce(authorize({ ...facts, versionExists: rows[0] !== undefined }));
      const { id: packageId, registryId } = allowedRow(locked, `package ${name}`);
      const target = allowedRow(rows[0], `version ${name}@${version}`);
      // Idempotent: a mark already there keeps its first record (when, why, who), and so does its absence.
      if (change.reason !== null && target.reason === null) {
        await tx.query(
          `UPDATE registry.package_versions SET ${mark.at} = now(), ${mark.reason} = $2::text, ${mark.by} = $3::int WHERE id = $1::int`,
          [target.id, change.reason, ctx.actor.userId],
        );
        await appendAudit(tx, registryId, ctx, mark.set, `${name}@${version}`, { reason: change.reason });
        await this.refreshLatest(tx, packageId);
      } else if (change.reason === null && target.reason !== null) {
        await tx.query(`UPDATE registry.package_versions SET ${mark.at} = NULL, ${mark.reason} = NULL, ${mark.by} = NULL WHERE id = $1::int`, [target.id]);
        await appendAudit(tx, registryId, ctx, mark.lift, `${name}@${version}`, { previous_reason: target.reason });
        await this.refreshLatest(tx, packageId);
      }
      return (await this.versionBy(tx, VERSION_BY_ID, [target.id]))!;
    });
  }
}
