import pg from 'pg';
import { searchStatement } from '../../shared/adapters/postgres/PgPackageRepo.js';
import { indexedText } from '../../shared/packages/indexedText.js';
import { ruleFileText } from './ruleFiles.js';

export const TOPICS = ['react', 'python', 'golang', 'rust', 'security', 'docs', 'testing', 'lint', 'kubernetes', 'terraform'];
// Names built from several vocabularies so that, as in a real registry, most words are selective.
const QUALITIES = ['strict', 'modern', 'secure', 'minimal', 'fast', 'typed', 'clean', 'legacy', 'async', 'portable', 'robust', 'tiny', 'verbose'];
const SUBJECTS = ['hooks', 'errors', 'naming', 'imports', 'logging', 'commits', 'reviews', 'migrations', 'queries', 'styles', 'layouts', 'api', 'cli', 'tests', 'schemas', 'caching', 'auth'];

const word = (list: string[], i: number) => list[i % list.length]!;
export const seededName = (i: number) =>
  `${word(QUALITIES, i)}-${word(TOPICS, Math.floor(i / 13))}-${word(SUBJECTS, Math.floor(i / 130))}-${i}`;

/** Selective words, a phrase, an exact name, a typo (near-miss fallback) and one broad word. */
export const SEARCH_QUERIES = ['migrations', 'caching', 'async hooks', seededName(4242), 'kubernets', 'logging', 'terraform schemas', 'strict typed', 'naming', 'react'];

/** Rule files per package, in its latest version: what the content search looks through. */
export const FILES_PER_PACKAGE = 3;
/** Packages whose files go in one statement (about 15 MB of text). */
const FILES_BATCH_PACKAGES = 500;

/**
 * Seeds `count` packages with three versions each straight into the database (the HTTP publish
 * path is measured separately): the search benchmark needs volume, not archives. With
 * `ruleFiles`, the latest version of each has FILES_PER_PACKAGE rule files of 2-20 KB indexed for
 * content search, as publish indexes them (about 330 MB of text for 10,000 packages: a minute or two).
 */
export async function seedPackages(databaseUrl: string, count: number, options: { ruleFiles?: boolean } = {}): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const ids = Array.from({ length: count }, (_, i) => i);
    await client.query(
      // Unscoped names: all in the built-in public registry `default`.
      `INSERT INTO registry.packages (name, description, tags, targets, created_by, latest_version, registry_id)
       SELECT n.name, n.description, n.tags, n.targets, (SELECT id FROM registry.users WHERE role = 'root'), '1.2.0',
              (SELECT id FROM registry.registries WHERE name = 'default')
         FROM json_to_recordset($1::json) AS n(name text, description text, tags text[], targets text[])`,
      [
        JSON.stringify(
          ids.map((i) => ({
            name: seededName(i),
            description: `${word(QUALITIES, i + 3)} rules for ${word(SUBJECTS, i + 5)} in ${word(TOPICS, i)} projects`,
            tags: [...new Set([word(TOPICS, Math.floor(i / 13)), word(SUBJECTS, i + 2)])],
            targets: i % 3 === 0 ? ['cursor', 'claude-code'] : ['cursor'],
          })),
        ),
      ],
    );
    await client.query(
      `INSERT INTO registry.package_versions (package_id, version, description, tags, targets, manifest, sha256, size_bytes, published_by)
       SELECT p.id, v, p.description, p.tags, p.targets, '{}'::jsonb, md5(p.name || v) || md5(v || p.name), 1000, p.created_by
         FROM registry.packages p, unnest(ARRAY['1.0.0', '1.1.0', '1.2.0']) AS v
        WHERE p.created_by = (SELECT id FROM registry.users WHERE role = 'root')`,
    );
    await client.query(
      `UPDATE registry.packages SET search = setweight(to_tsvector('simple', replace(name, '/', ' ')), 'A')
                                 || setweight(to_tsvector('english', description), 'B')
                                 || setweight(to_tsvector('simple', array_to_string(tags, ' ')), 'C')
        WHERE latest_version = '1.2.0'`,
    );
    await client.query(
      `INSERT INTO registry.package_owners (package_id, user_id) SELECT id, created_by FROM registry.packages WHERE latest_version = '1.2.0'`,
    );
    for (let from = 0; options.ruleFiles && from < count; from += FILES_BATCH_PACKAGES) {
      const files = ids.slice(from, from + FILES_BATCH_PACKAGES).flatMap((i) =>
        Array.from({ length: FILES_PER_PACKAGE }, (_, f) => {
          const text = ruleFileText(i, f, word(TOPICS, Math.floor(i / 13)));
          return { name: seededName(i), path: `rules/${f}.md`, size: Buffer.byteLength(text), content: indexedText(text) };
        }),
      );
      await client.query(
        `INSERT INTO registry.version_files (version_id, path, size_bytes, content)
         SELECT v.id, f.path, f.size, f.content
           FROM json_to_recordset($1::json) AS f(name text, path text, size int, content text)
           JOIN registry.packages p ON p.name = f.name
           JOIN registry.package_versions v ON v.package_id = p.id AND v.version = '1.2.0'`,
        [JSON.stringify(files)],
      );
    }
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
}

/** EXPLAIN ANALYZE of the exact search statement the API runs (custom plan, as pg sends it). */
export async function explainSearch(databaseUrl: string, q: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { text, params } = searchStatement({ q, limit: 20, offset: 0 });
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) ${text}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}
