import { register } from '../../shared/auth/register.js';
import { defineHandler } from '../../shared/http/defineHandler.js';
import { registerRequest } from '../../shared/users/schemas.js';

export const handler = defineHandler({
  route: 'POST /v1/auth/register',
  body: registerRequest,
  identifyCaller: true,
  async handle({ deps, body, principal }) {
    return { status: 201, body: await register(deps, body, principal) };
  },
});
