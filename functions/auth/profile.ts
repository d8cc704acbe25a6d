import { unauthorized } from '../../shared/errors.js';
import { defineHandler, signedIn } from '../../shared/http/defineHandler.js';
import { publicUser } from '../../shared/users/User.js';

export const handler = defineHandler({
  route: 'GET /v1/auth/profile',
  async handle(input) {
    const user = await input.deps.users.findById(signedIn(input).userId);
    if (!user || !user.active) throw unauthorized('Invalid or expired token');
    return { status: 200, body: publicUser(user) };
  },
});
