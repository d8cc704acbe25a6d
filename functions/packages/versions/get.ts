import { defineHandler } from '../../../shared/http/defineHandler.js';
import { contentEtag, ifNoneMatchHits } from '../../../shared/http/etag.js';
import { packageNameFromPath } from '../../../shared/packages/Package.js';
import { getVersion } from '../../../shared/packages/reads.js';
import { viewerOf } from '../../../shared/registries/Viewer.js';

export const handler = defineHandler({
  route: 'GET /v1/packages/{name}/versions/{version}',
  async handle({ deps, params, event, principal }) {
    const { body, cacheControl } = await getVersion(deps, packageNameFromPath(params), params.version ?? '', viewerOf(principal));
    // Of everything the answer shows, so a cache revalidates when any of it changed.
    const etag = contentEtag(body);
    const headers = { ETag: etag, 'Cache-Control': cacheControl };
    if (ifNoneMatchHits(event.headers['if-none-match'], etag)) return { status: 304, headers, empty: true };
    return { status: 200, body, headers };
  },
});
