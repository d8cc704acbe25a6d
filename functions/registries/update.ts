import { defineHandler, signedIn } from '../../shared/http/defineHandler.js';
import { updateRegistry } from '../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'PATCH /v1/registries/{registry}',
  async handle(input) {
    const ctx = { actor: signedIn(input), sourceIp: input.sourceIp };
    const { body, etag } = await updateRegistry(input.deps, input.params.registry ?? '', input.event.headers['if-match'], input.body, ctx);
    return { status: 200, body, headers: { ETag: etag } };
  },
});
