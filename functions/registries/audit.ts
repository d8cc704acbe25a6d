import { defineHandler, signedIn } from '../../shared/http/defineHandler.js';
import { listAudit } from '../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'GET /v1/registries/{registry}/audit',
  async handle(input) {
    return { status: 200, body: await listAudit(input.deps, input.params.registry ?? '', signedIn(input), input.query.limit, input.query.offset) };
  },
});
