import { listSessions } from '../../../shared/auth/sessions.js';
import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'GET /v1/auth/sessions',
  async handle(input) {
    return { status: 200, body: await listSessions(input.deps, signedIn(input)), headers: { 'Cache-Control': 'no-store' } };
  },
});
