import { defineHandler, signedIn } from '../../shared/http/defineHandler.js';
import { publish } from '../../shared/packages/publish.js';

export const handler = defineHandler({
  route: 'POST /v1/packages',
  async handle(input) {
    return publish(input.deps, signedIn(input), input.rawBody, input.event.headers['content-type'], input.sourceIp);
  },
});
