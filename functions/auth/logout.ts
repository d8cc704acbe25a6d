import { defineHandler, signedIn } from '../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'POST /v1/auth/logout',
  async handle(input) {
    await input.deps.sessions.delete(signedIn(input).tokenHash);
    return { status: 200, body: { message: 'Logged out successfully' } };
  },
});
