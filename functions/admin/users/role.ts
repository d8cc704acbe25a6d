import { changeRole } from '../../../shared/admin/users.js';
import { defineHandler } from '../../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'PUT /v1/admin/users/{username}/role',
  async handle({ deps, params, body }) {
    return { status: 200, body: await changeRole(deps, params.username ?? '', body.role) };
  },
});
