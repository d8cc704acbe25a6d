import { deleteUser } from '../../../shared/admin/users.js';
import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'DELETE /v1/admin/users/{id}',
  async handle(input) {
    return { status: 200, body: await deleteUser(input.deps, signedIn(input), input.params.id ?? '', input.sourceIp) };
  },
});
