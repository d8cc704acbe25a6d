import { changePassword } from '../../shared/auth/changePassword.js';
import { defineHandler, signedIn } from '../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'POST /v1/auth/change-password',
  async handle(input) {
    return { status: 200, body: await changePassword(input.deps, signedIn(input), input.body, input.sourceIp) };
  },
});
