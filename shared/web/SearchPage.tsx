import type { SearchView } from '../catalogue/catalogue.js';
import { searchHref } from './format.js';
import { Layout } from './Layout.js';
import { PackageRow } from './parts.js';

export function SearchPage({ view }: { view: SearchView }) {
  const { query, rows, hasMore } = view;
  const { q, tag, target, offset, limit } = query;
  const heading = q ? `Results for “${q}”` : 'All packages';
  const filters = [tag ? `tag ${tag}` : null, target ? `target ${target}` : null].filter(Boolean).join(', ');
  const from = offset + 1;
  return (
    <Layout title={q ? `${q}: search` : 'Search'} q={q}>
      <h1>{heading}</h1>
      <form action="/search" method="get" aria-label="Refine the search">
        <fieldset>
          <legend>Refine</legend>
          <label>
            Words
            <input type="search" name="q" value={q} maxLength={256} />
          </label>
          <label>
            Tag
            <input type="text" name="tag" value={tag ?? ''} maxLength={50} />
          </label>
          <label>
            Target
            <input type="text" name="target" value={target ?? ''} maxLength={50} placeholder="cursor, claude…" />
          </label>
          <button type="submit">Apply</button>
        </fieldset>
      </form>
      <p class="muted" role="status">
        {rows.length === 0
          ? `No packages found${filters ? ` with ${filters}` : ''}.`
          : `Showing ${from}–${offset + rows.length}${filters ? `, with ${filters}` : ''}.`}{' '}
        {tag || target ? <a href={searchHref({ q })}>Clear filters</a> : null}
      </p>
      {rows.length > 0 ? (
        <ul class="packages" aria-label="Search results">
          {rows.map((row) => (
            <PackageRow key={row.id} row={row} />
          ))}
        </ul>
      ) : (
        <p>Try fewer or other words: search looks in package names, descriptions, tags and the text of the rules themselves.</p>
      )}
      <nav class="pager" aria-label="Pages of results">
        {offset > 0 ? <a href={searchHref({ q, tag, target, offset: Math.max(0, offset - limit) })}>← Previous</a> : <span />}
        {hasMore ? <a href={searchHref({ q, tag, target, offset: offset + limit })}>Next →</a> : <span />}
      </nav>
    </Layout>
  );
}

export const searchPage = (view: SearchView) => <SearchPage view={view} />;
