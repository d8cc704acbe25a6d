import { defineHandler } from '../../shared/http/defineHandler.js';
import { PRIVATE } from '../../shared/packages/reads.js';
import { getRegistry } from '../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'GET /v1/registries/{registry}',
  async handle({ deps, params, principal }) {
    const { body, etag } = await getRegistry(deps, params.registry ?? '', principal);
    return { status: 200, body, headers: { ETag: etag, 'Cache-Control': PRIVATE } };
  },
});
