import { defineHandler } from '../../shared/http/defineHandler.js';
import type { HandlerResult } from '../../shared/http/types.js';
import { downloadArchive } from '../../shared/packages/reads.js';
import { viewerOf } from '../../shared/registries/Viewer.js';

export const handler = defineHandler({
  route: 'GET /v1/blobs/{sha256}',
  async handle({ deps, params, principal, origin }): Promise<HandlerResult> {
    const { sha256, blob, cacheControl } = await downloadArchive(deps, params.sha256 ?? '', viewerOf(principal), origin.clientAddress);
    if (blob.kind === 'redirect') {
      // The signed URL expires within minutes: the redirect itself must not be cached.
      return { status: 302, headers: { Location: blob.url, 'Cache-Control': 'no-store' }, empty: true };
    }
    return {
      status: 200,
      bytes: blob.bytes,
      headers: { 'Content-Type': 'application/gzip', ETag: `"${sha256}"`, 'Cache-Control': cacheControl },
    };
  },
});
