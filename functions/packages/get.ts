import { defineHandler } from '../../shared/http/defineHandler.js';
import { packageNameFromPath } from '../../shared/packages/Package.js';
import { getPackage } from '../../shared/packages/reads.js';
import { viewerOf } from '../../shared/registries/Viewer.js';

export const handler = defineHandler({
  route: 'GET /v1/packages/{name}',
  async handle({ deps, params, principal }) {
    const { body, cacheControl } = await getPackage(deps, packageNameFromPath(params), viewerOf(principal));
    return { status: 200, body, headers: { 'Cache-Control': cacheControl } };
  },
});
