import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';
import { setMember } from '../../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'PUT /v1/registries/{registry}/members/{username}',
  async handle(input) {
    const ctx = { actor: signedIn(input), sourceIp: input.sourceIp };
    return { status: 200, body: await setMember(input.deps, input.params.registry ?? '', input.params.username ?? '', input.body.role, ctx) };
  },
});
