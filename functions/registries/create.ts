import { defineHandler, signedIn } from '../../shared/http/defineHandler.js';
import { createRegistry } from '../../shared/registries/registries.js';

export const handler = defineHandler({
  route: 'POST /v1/registries',
  async handle(input) {
    const { body, etag } = await createRegistry(input.deps, input.body, { actor: signedIn(input), sourceIp: input.sourceIp });
    return { status: 201, body, headers: { ETag: etag, Location: `/v1/registries/${body.name}` } };
  },
});
