import { deleteOwnAccount } from '../../shared/auth/deleteAccount.js';
import { defineHandler, signedIn } from '../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'DELETE /v1/auth/delete-account',
  async handle(input) {
    return { status: 200, body: await deleteOwnAccount(input.deps, signedIn(input), input.sourceIp) };
  },
});
