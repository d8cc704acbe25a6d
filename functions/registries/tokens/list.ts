import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';
import { listTokens } from '../../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'GET /v1/registries/{registry}/tokens',
  async handle(input) {
    return { status: 200, body: await listTokens(input.deps, input.params.registry ?? '', signedIn(input)) };
  },
});
