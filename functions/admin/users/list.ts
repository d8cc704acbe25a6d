import { listUsers } from '../../../shared/admin/users.js';
import { defineHandler } from '../../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'GET /v1/admin/users',
  async handle({ deps, query }) {
    return { status: 200, body: await listUsers(deps, query.limit, query.offset) };
  },
});
