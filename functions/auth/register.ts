import { register } from '../../shared/auth/register.js';
import { defineHandler } from '../../shared/http/defineHandler.js';

export const handler = defineHandler({
  route: 'POST /v1/auth/register',
  async handle({ deps, body, principal, origin }) {
    return { status: 201, body: await register(deps, body, principal, origin) };
  },
});
