import { defineHandler } from '../../shared/http/defineHandler.js';
import { PRIVATE, searchPackages, SHORT_LIVED } from '../../shared/packages/reads.js';
import { viewerOf } from '../../shared/registries/Viewer.js';

export const handler = defineHandler({
  route: 'GET /v1/packages',
  async handle({ deps, query, principal }) {
    // A signed-in caller's results may include private packages: never share them in a cache.
    return { status: 200, body: await searchPackages(deps, query, viewerOf(principal)), headers: { 'Cache-Control': principal ? PRIVATE : SHORT_LIVED } };
  },
});
