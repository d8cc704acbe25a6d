import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';
import { listMembers } from '../../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'GET /v1/registries/{registry}/members',
  async handle(input) {
    return { status: 200, body: await listMembers(input.deps, input.params.registry ?? '', signedIn(input)) };
  },
});
