import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';
import { revokeToken } from '../../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'DELETE /v1/registries/{registry}/tokens/{id}',
  async handle(input) {
    const ctx = { actor: signedIn(input), sourceIp: input.sourceIp };
    return { status: 200, body: await revokeToken(input.deps, input.params.registry ?? '', input.params.id ?? '', ctx) };
  },
});
