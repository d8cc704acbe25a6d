import type { PackageSummary } from '../packages/Package.js';
import { formatCount, formatDate, packageHref, searchHref } from './format.js';

export function TagLinks({ tags, targets }: { tags: readonly string[]; targets: readonly string[] }) {
  if (tags.length === 0 && targets.length === 0) return null;
  return (
    <ul class="chips" aria-label="Tags and targets">
      {tags.map((tag) => (
        <li key={`t:${tag}`}>
          <a href={searchHref({ tag })}>#{tag}</a>
        </li>
      ))}
      {targets.map((target) => (
        <li key={`g:${target}`}>
          <a href={searchHref({ target })}>for {target}</a>
        </li>
      ))}
    </ul>
  );
}

/** A snippet with the matched words marked: `highlights` are [start, end) offsets into it. */
export function Snippet({ text, highlights }: { text: string; highlights: ReadonlyArray<readonly [number, number]> }) {
  const parts = [];
  let at = 0;
  for (const [start, end] of [...highlights].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start || end > text.length) continue; // overlapping or out of range: shown unmarked
    if (start > at) parts.push(text.slice(at, start));
    parts.push(<mark>{text.slice(start, end)}</mark>);
    at = end;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}

export function PackageRow({ row }: { row: PackageSummary }) {
  const matches = row.matches ?? [];
  return (
    <li>
      <div class="row-head">
        <a href={packageHref(row.name)}>{row.name}</a>
        <span class="muted">{row.version}</span>
        {row.flags > 0 ? (
          <span class="badge warn">
            ⚑ {row.flags} flag{row.flags === 1 ? '' : 's'}
          </span>
        ) : null}
      </div>
      {row.description ? <p class="desc">{row.description}</p> : null}
      <TagLinks tags={row.tags} targets={row.targets} />
      <p class="meta">
        <span>{formatCount(row.downloads)} downloads</span>
        <span>
          updated <time datetime={row.updatedAt.toISOString()}>{formatDate(row.updatedAt)}</time>
        </span>
        <span>
          {row.versions.length} version{row.versions.length === 1 ? '' : 's'}
        </span>
      </p>
      {matches.length > 0 ? (
        <ul class="matches" aria-label={`Matches inside ${row.name}'s rule files`}>
          {matches.map((m) => (
            <li key={m.path}>
              <code>{m.path}</code>: <Snippet text={m.snippet} highlights={m.highlights} />
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export function PackageList({ rows, label }: { rows: readonly PackageSummary[]; label: string }) {
  if (rows.length === 0) return <p class="muted">Nothing here yet.</p>;
  return (
    <ul class="packages" aria-label={label}>
      {rows.map((row) => (
        <PackageRow key={row.id} row={row} />
      ))}
    </ul>
  );
}

/** The command that installs it, with a copy button that the page's script reveals. */
export function InstallLine({ name, version }: { name: string; version: string }) {
  const command = `rfh add ${name}@${version}`;
  return (
    <div class="install">
      <code id="install-command">{command}</code>
      <button type="button" data-copy={command} aria-describedby="install-command" hidden>
        Copy
      </button>
    </div>
  );
}
