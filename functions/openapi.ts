import { defineHandler } from '../shared/http/defineHandler.js';
import { openApiDocument } from '../shared/http/openapi.js';

export const handler = defineHandler({
  route: 'GET /v1/openapi.json',
  async handle() {
    return { status: 200, body: openApiDocument(), headers: { 'Cache-Control': 'public, max-age=300' } };
  },
});
