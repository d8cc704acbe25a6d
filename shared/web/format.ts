/** How the pages write numbers, sizes and dates: the same on every page, independent of the server's locale. */

export const formatCount = (n: number) => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** `2026-11-30`: a date people everywhere read the same way. */
export const formatDate = (d: Date) => d.toISOString().slice(0, 10);

/** A package's page: scoped names keep their `@` and slash (as the rfh client writes them), each part escaped. */
export const packageHref = (name: string) => `/packages/${name.split('/').map((part) => encodeURIComponent(part).replace(/^%40/, '@')).join('/')}`;

export const versionHref = (name: string, version: string) => `${packageHref(name)}/versions/${encodeURIComponent(version)}`;

/** The API's JSON of the same thing, linked from its page. */
export const packageJsonHref = (name: string) => `/v1${packageHref(name)}`;
export const versionJsonHref = (name: string, version: string) => `/v1${versionHref(name, version)}`;

export function searchHref(params: { q?: string; tag?: string; target?: string; offset?: number }): string {
  const query = new URLSearchParams();
  if (params.q) query.set('q', params.q);
  if (params.tag) query.set('tag', params.tag);
  if (params.target) query.set('target', params.target);
  if (params.offset) query.set('offset', String(params.offset));
  const text = query.toString();
  return text ? `/search?${text}` : '/search';
}
