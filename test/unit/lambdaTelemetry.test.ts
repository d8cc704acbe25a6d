import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

// A function as Lambda runs it: Powertools' middlewares put the Lambda context on the log line,
// publish the invocation's metrics with the cold-start metric, and a route's figures carry the
// route as a dimension. (Set before anything imports the telemetry module, which reads them.)
process.env.AWS_LAMBDA_FUNCTION_NAME = 'rfh-test-openapi';
process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';

const lines: string[] = [];
let spy: { mockRestore(): void } | undefined;

beforeAll(() => {
  spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
});
afterAll(() => spy?.mockRestore());

const event = (requestId: string) =>
  ({
    version: '2.0',
    routeKey: 'GET /v1/openapi.json',
    rawPath: '/v1/openapi.json',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId, http: { method: 'GET', path: '/v1/openapi.json', sourceIp: '203.0.113.1', userAgent: 'test', protocol: 'HTTP/1.1' } },
  }) as unknown as APIGatewayProxyEventV2;

const context = (awsRequestId: string) =>
  ({
    functionName: 'rfh-test-openapi',
    functionVersion: '1',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:rfh-test-openapi',
    memoryLimitInMB: '256',
    awsRequestId,
    getRemainingTimeInMillis: () => 5000,
  }) as never;

describe('a function in Lambda', () => {
  it('logs with the Lambda context and publishes its metrics once per invocation, the first with the cold start', async () => {
    const { provideDependencies } = await import('../../shared/runtime/Dependencies.js');
    const { configFromEnv } = await import('../../shared/config.js');
    // The API document needs no store: only what the middleware reads.
    provideDependencies(async () => ({ config: configFromEnv({ RFH_RATE_LIMIT: 'off' }), sideEffects: { handOff: async () => {} } }) as never);
    const { handler } = await import('../../functions/openapi.js');
    const first = await handler(event('r1'), context('aws-1'));
    const second = await handler(event('r2'), context('aws-2'));
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);

    const json = lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, any>];
      } catch {
        return [];
      }
    });
    const requestLogs = json.filter((l) => l.message === 'request');
    expect(requestLogs.map((l) => l.function_request_id)).toEqual(['aws-1', 'aws-2']);
    for (const l of requestLogs) expect(l).toMatchObject({ function_name: 'rfh-test-openapi', route: 'GET /v1/openapi.json', status: 200 });
    expect(requestLogs.map((l) => l.cold_start)).toEqual([true, false]);

    const emf = json.filter((l) => l._aws?.CloudWatchMetrics);
    const names = (l: Record<string, any>) => (l._aws.CloudWatchMetrics[0].Metrics as Array<{ Name: string }>).map((m) => m.Name);
    expect(emf.filter((l) => names(l).includes('ColdStart'))).toHaveLength(1);
    const requests = emf.filter((l) => names(l).includes('Requests'));
    expect(requests).toHaveLength(2);
    for (const r of requests) expect(r).toMatchObject({ route: 'GET /v1/openapi.json', Requests: 1, Successes: 1 });
  });
});
