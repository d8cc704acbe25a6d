import { endSession, parseSessionId } from '../../../shared/auth/sessions.js';
import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'DELETE /v1/auth/sessions/{id}',
  async handle(input) {
    return { status: 200, body: await endSession(input.deps, signedIn(input), parseSessionId(input.params.id ?? '')) };
  },
});
