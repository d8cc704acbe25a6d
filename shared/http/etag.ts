import { createHash } from 'node:crypto';

/** A strong ETag of a JSON answer's content: it changes exactly when something it shows changes. */
export function contentEtag(body: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
}

/** Whether an If-None-Match header names this ETag (RFC 9110: a list, `*`, weak forms compare weakly). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
