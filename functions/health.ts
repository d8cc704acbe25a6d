import { defineHandler } from '../shared/http/defineHandler.js';
import { checkHealth } from '../shared/health.js';

export const handler = defineHandler({
  route: 'GET /v1/health',
  async handle({ deps }) {
    const { healthy, body } = await checkHealth(deps);
    if (healthy) return { status: 200, body };
    return { status: 503, body, headers: { 'Retry-After': '5' } };
  },
});
