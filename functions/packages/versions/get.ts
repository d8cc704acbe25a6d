import { defineHandler } from '../../../shared/http/defineHandler.js';
import { packageNameFromPath } from '../../../shared/packages/Package.js';
import { getVersion, IMMUTABLE } from '../../../shared/packages/reads.js';

export const handler = defineHandler({
  route: 'GET /v1/packages/{name}/versions/{version}',
  async handle({ deps, params, event }) {
    const body = await getVersion(deps, packageNameFromPath(params), params.version ?? '');
    const etag = `"${body.sha256}"`;
    const headers = { ETag: etag, 'Cache-Control': IMMUTABLE };
    if (event.headers['if-none-match'] === etag) return { status: 304, headers, empty: true };
    return { status: 200, body, headers };
  },
});
