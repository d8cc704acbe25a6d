import { changePassword } from '../../shared/auth/changePassword.js';
import { defineHandler, signedIn } from '../../shared/http/defineHandler.js';
import { changePasswordRequest } from '../../shared/users/schemas.js';

export const handler = defineHandler({
  route: 'POST /v1/auth/change-password',
  body: changePasswordRequest,
  async handle(input) {
    return { status: 200, body: await changePassword(input.deps, signedIn(input), input.body) };
  },
});
