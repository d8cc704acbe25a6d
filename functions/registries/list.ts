import { defineHandler } from '../../shared/http/defineHandler.js';
import { PRIVATE } from '../../shared/packages/reads.js';
import { listRegistries } from '../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'GET /v1/registries',
  async handle({ deps, principal }) {
    return { status: 200, body: await listRegistries(deps, principal), headers: { 'Cache-Control': PRIVATE } };
  },
});
