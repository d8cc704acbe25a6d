import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';
import { createToken } from '../../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'POST /v1/registries/{registry}/tokens',
  async handle(input) {
    const ctx = { actor: signedIn(input), sourceIp: input.sourceIp };
    return { status: 201, body: await createToken(input.deps, input.params.registry ?? '', input.body, ctx) };
  },
});
