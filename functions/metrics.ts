import { defineHandler } from '../shared/http/defineHandler.js';
import { metricsReport } from '../shared/observability/metricsReport.js';

export const handler = defineHandler({
  route: 'GET /v1/metrics',
  async handle({ deps }) {
    return { status: 200, body: metricsReport(deps) };
  },
});
