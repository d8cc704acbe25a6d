import type { PackageView, VersionFiles } from '../catalogue/catalogue.js';
import type { ArchiveTextFile } from '../packages/archiveFiles.js';
import type { VersionRecord } from '../packages/Package.js';
import { formatBytes, formatCount, formatDate, packageHref, packageJsonHref, versionHref, versionJsonHref } from './format.js';
import { Layout } from './Layout.js';
import { isMarkdownPath, renderMarkdown } from './markdown.js';
import { InstallLine, TagLinks } from './parts.js';

function FileView({ file, index }: { file: ArchiveTextFile; index: number }) {
  const id = `file-${index}`;
  const markdown = isMarkdownPath(file.path) ? renderMarkdown(file.text) : null;
  return (
    <section class="file" aria-labelledby={id}>
      <header>
        <h3 id={id}>{file.path}</h3>
        <span class="muted">{formatBytes(file.size)}</span>
      </header>
      {markdown ? (
        <>
          <div class="body markdown">
            {markdown.frontMatter !== null ? (
              <pre aria-label="Front matter">
                <code>{markdown.frontMatter}</code>
              </pre>
            ) : null}
            <div dangerouslySetInnerHTML={{ __html: markdown.html }} />
          </div>
          <details>
            <summary>Raw text</summary>
            <pre>
              <code>{file.text}</code>
            </pre>
          </details>
        </>
      ) : (
        <div class="body">
          <pre>
            <code>{file.text}</code>
          </pre>
        </div>
      )}
    </section>
  );
}

function Files({ version, files }: { version: VersionRecord; files: VersionFiles }) {
  if (files.kind === 'withheld') {
    return (
      <p class="notice bad">
        The files of {version.version} are withheld: this version is quarantined ({files.reason}).
      </p>
    );
  }
  if (files.kind === 'unavailable') {
    return <p class="notice warn">The files of {version.version} cannot be shown right now. Its JSON and downloads are unaffected.</p>;
  }
  return (
    <>
      {files.files.map((file, i) => (
        <FileView key={file.path} file={file} index={i} />
      ))}
    </>
  );
}

function VersionNotices({ version }: { version: VersionRecord }) {
  return (
    <>
      {version.quarantine ? (
        <p class="notice bad">
          <strong>Quarantined:</strong> {version.quarantine.reason}. Its archive is not served to anyone.
        </p>
      ) : null}
      {version.yanked ? (
        <p class="notice warn">
          <strong>Yanked</strong> on {formatDate(version.yanked.at)}: {version.yanked.reason}. Projects that already use it keep installing it; choose another version for new work.
        </p>
      ) : null}
    </>
  );
}

function VersionTable({ name, versions, current }: { name: string; versions: readonly VersionRecord[]; current: string | null }) {
  return (
    <div class="table-scroll" role="region" aria-label={`Versions of ${name}`} tabIndex={0}>
      <table>
        <caption class="visually-hidden">Every version of {name}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Published</th>
            <th scope="col">Size</th>
            <th scope="col">SHA-256</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version}>
              <td>
                <a href={versionHref(name, v.version)} aria-current={v.version === current ? 'page' : undefined}>
                  {v.version}
                </a>
                {v.quarantine ? <span class="badge bad"> quarantined</span> : v.yanked ? <span class="badge warn"> yanked</span> : null}
              </td>
              <td>
                <time datetime={v.createdAt.toISOString()}>{formatDate(v.createdAt)}</time>
              </td>
              <td>{formatBytes(v.sizeBytes)}</td>
              <td class="hash">{v.sha256}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A package's page, or (with `versionPage`) one version's page: the same facts, centred on the version shown. */
export function PackagePage({ view, versionPage }: { view: PackageView; versionPage: boolean }) {
  const { pkg, versions, shown, files } = view;
  const title = versionPage && shown ? `${pkg.name}@${shown.version}` : pkg.name;
  const description = (versionPage ? shown?.description : pkg.description) || pkg.description;
  return (
    <Layout title={title} description={description || `The rule package ${pkg.name}`}>
      <nav aria-label="Breadcrumb" class="muted">
        <a href="/">Catalogue</a> › {versionPage ? <a href={packageHref(pkg.name)}>{pkg.name}</a> : <span>{pkg.name}</span>}
        {versionPage && shown ? <span> › {shown.version}</span> : null}
      </nav>
      <h1>{title}</h1>
      {description ? <p class="lead">{description}</p> : null}
      {shown ? <VersionNotices version={shown} /> : null}
      {shown && !shown.quarantine ? <InstallLine name={pkg.name} version={shown.version} /> : null}
      <dl class="facts">
        <dt>Latest version</dt>
        <dd>{pkg.latest ? <a href={versionHref(pkg.name, pkg.latest)}>{pkg.latest}</a> : 'none (every version is withdrawn)'}</dd>
        {versionPage && shown ? (
          <>
            <dt>Published</dt>
            <dd>
              <time datetime={shown.createdAt.toISOString()}>{formatDate(shown.createdAt)}</time> by {shown.publishedBy}
            </dd>
            <dt>Archive</dt>
            <dd>
              {formatBytes(shown.sizeBytes)}, SHA-256 <code class="hash">{shown.sha256}</code>
            </dd>
            <dt>Downloads of this version</dt>
            <dd>{formatCount(shown.downloads)}</dd>
          </>
        ) : (
          <>
            <dt>Downloads</dt>
            <dd>{formatCount(pkg.downloads)}</dd>
          </>
        )}
        <dt>Owners</dt>
        <dd>{pkg.owners.join(', ')}</dd>
        {shown?.license ? (
          <>
            <dt>License</dt>
            <dd>{shown.license}</dd>
          </>
        ) : null}
        <dt>Tags and targets</dt>
        <dd>{pkg.tags.length + pkg.targets.length > 0 ? <TagLinks tags={pkg.tags} targets={pkg.targets} /> : 'none'}</dd>
        <dt>Updated</dt>
        <dd>
          <time datetime={pkg.updatedAt.toISOString()}>{formatDate(pkg.updatedAt)}</time>
        </dd>
        <dt>JSON</dt>
        <dd>
          <a href={versionPage && shown ? versionJsonHref(pkg.name, shown.version) : packageJsonHref(pkg.name)}>
            {versionPage && shown ? versionJsonHref(pkg.name, shown.version) : packageJsonHref(pkg.name)}
          </a>
        </dd>
      </dl>
      <h2>Versions</h2>
      <VersionTable name={pkg.name} versions={versions} current={versionPage ? (shown?.version ?? null) : null} />
      {shown && files ? (
        <>
          <h2>Files of {shown.version}</h2>
          <Files version={shown} files={files} />
        </>
      ) : null}
    </Layout>
  );
}

export const packagePage = (view: PackageView) => <PackagePage view={view} versionPage={false} />;
export const versionPage = (view: PackageView) => <PackagePage view={view} versionPage={true} />;
