import { defineHandler } from '../../shared/http/defineHandler.js';
import { searchPackages, SHORT_LIVED } from '../../shared/packages/reads.js';

export const handler = defineHandler({
  route: 'GET /v1/packages',
  async handle({ deps, query }) {
    return { status: 200, body: await searchPackages(deps, query), headers: { 'Cache-Control': SHORT_LIVED } };
  },
});
