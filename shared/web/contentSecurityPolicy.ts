import { createHash } from 'node:crypto';
import { ENHANCEMENT_SCRIPT } from './enhance.js';
import { STYLESHEET } from './styles.js';

const hashOf = (source: string) => `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;

/**
 * The pages' Content-Security-Policy: nothing loads or runs but the one inline stylesheet and the
 * one inline script, named by their hashes (so the pages stay byte-identical for caches and
 * ETags, which a per-request nonce would prevent). Whatever a publisher's text smuggles past the
 * escaping cannot run: no other script, no inline handler, no style attribute, no foreign image,
 * frame or form target. `data:` images serve only the empty favicon.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src ${hashOf(STYLESHEET)}`,
  `script-src ${hashOf(ENHANCEMENT_SCRIPT)}`,
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');
