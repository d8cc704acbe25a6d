import type { PackageView, VersionFiles } from '../catalogue/catalogue.js';
import type { ArchiveTextFile } from '../packages/archiveFiles.js';
import type { StoredFinding, VersionRecord } from '../packages/Package.js';
import { AgentView } from './AgentView.js';
import { formatBytes, formatCount, formatDate, packageHref, packageJsonHref, versionHref, versionJsonHref } from './format.js';
import { Layout } from './Layout.js';
import { isMarkdownPath, renderMarkdown } from './markdown.js';
import { InstallLine, TagLinks } from './parts.js';

/** Findings as a list a person can act on: where, which rule, what, and the offending text escaped. */
function FindingList({ findings, label }: { findings: readonly StoredFinding[]; label: string }) {
  return (
    <ul class="findings" aria-label={label}>
      {findings.map((f, i) => (
        <li key={i}>
          <span class={`badge ${f.severity === 'refuse' ? 'bad' : 'warn'}`}>{f.rule}</span> {f.file}, line {f.line}, column {f.column}: {f.message}
          {f.excerpt ? (
            <>
              {' '}
              <code>{f.excerpt}</code>
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** A file byte for byte (escaped as text, nothing marked), on request. */
function RawText({ text }: { text: string }) {
  return (
    <details>
      <summary>Raw text</summary>
      <pre>
        <code>{text}</code>
      </pre>
    </details>
  );
}

/** The findings that concern one file: in its text, or in its name. */
const findingsOf = (findings: readonly StoredFinding[], path: string) => findings.filter((f) => f.file === path || f.file === `${path}#name`);

function FileView({ file, index, findings }: { file: ArchiveTextFile; index: number; findings: readonly StoredFinding[] }) {
  const id = `file-${index}`;
  const markdown = isMarkdownPath(file.path) ? renderMarkdown(file.text) : null;
  return (
    <section class="file" aria-labelledby={id}>
      <header>
        <h3 id={id}>{file.path}</h3>
        <span class="muted">
          {findings.length > 0 ? (
            <span class="badge warn">
              {findings.length} flag{findings.length === 1 ? '' : 's'}
            </span>
          ) : null}{' '}
          {formatBytes(file.size)}
        </span>
      </header>
      {findings.length > 0 ? (
        // A flagged file is shown as the agent reads it, hidden parts made visible; the rendered
        // view, which hides them, only on request.
        <>
          <div class="body">
            <div class="notice warn">
              <p>
                <strong>Flagged by the rule scanner.</strong> Below is exactly the text an agent receives, with what an editor or a rendered page hides made visible.
              </p>
              <FindingList findings={findings} label={`Findings in ${file.path}`} />
            </div>
            <AgentView text={file.text} />
          </div>
          {markdown ? (
            <details>
              <summary>Rendered (hides what is marked above)</summary>
              <div class="markdown" dangerouslySetInnerHTML={{ __html: markdown.html }} />
            </details>
          ) : null}
          <RawText text={file.text} />
        </>
      ) : markdown ? (
        <>
          <div class="body markdown">
            {markdown.frontMatter !== null ? (
              <pre aria-label="Front matter">
                <code>{markdown.frontMatter}</code>
              </pre>
            ) : null}
            <div dangerouslySetInnerHTML={{ __html: markdown.html }} />
          </div>
          <RawText text={file.text} />
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
  const findings = version.safety.findings;
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
        <FileView key={file.path} file={file} index={i} findings={findingsOf(findings, file.path)} />
      ))}
    </>
  );
}

/** What the rule scanner says of a version, before anything else about it. */
function SafetySummary({ version }: { version: VersionRecord }) {
  const { scannerVersion, findings } = version.safety;
  if (scannerVersion === null) return <p class="muted">Not yet scanned for hidden instructions or leaked secrets.</p>;
  if (findings.length === 0) return null;
  const manifestFindings = findings.filter((f) => f.file.startsWith('rulestack.json#'));
  return (
    <div class="notice warn" role="note">
      <p>
        <span class="badge warn">
          ⚑ {findings.length} flag{findings.length === 1 ? '' : 's'}
        </span>{' '}
        The rule scanner found content an agent reads but a reviewer may not see, or instructions worth a second look. Each flagged file below is shown as the agent reads it.
      </p>
      {manifestFindings.length > 0 ? <FindingList findings={manifestFindings} label="Findings in rulestack.json" /> : null}
    </div>
  );
}

function VersionNotices({ version }: { version: VersionRecord }) {
  return (
    <>
      <SafetySummary version={version} />
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
                {v.safety.findings.length > 0 ? <span class="badge warn"> ⚑ {v.safety.findings.length}</span> : null}
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
      <h1>
        {title}
        {shown && shown.safety.findings.length > 0 ? (
          <>
            {' '}
            <span class="badge warn">⚑ flagged</span>
          </>
        ) : null}
      </h1>
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
