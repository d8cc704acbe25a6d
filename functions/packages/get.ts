import { defineHandler } from '../../shared/http/defineHandler.js';
import { packageNameFromPath } from '../../shared/packages/Package.js';
import { getPackage, SHORT_LIVED } from '../../shared/packages/reads.js';

export const handler = defineHandler({
  route: 'GET /v1/packages/{name}',
  async handle({ deps, params }) {
    return { status: 200, body: await getPackage(deps, packageNameFromPath(params)), headers: { 'Cache-Control': SHORT_LIVED } };
  },
});
