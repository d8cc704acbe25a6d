import { login } from '../../shared/auth/login.js';
import { defineHandler } from '../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'POST /v1/auth/login',
  async handle({ deps, body, origin }) {
    return { status: 200, body: await login(deps, body, origin) };
  },
});
