import { SQSClient } from '@aws-sdk/client-sqs';
import { boundedRequestHandler } from '../../resilience/sdkTimeouts.js';

/**
 * The side-effect queue's SQS client: two attempts of at most 1.5 s each (enforced), since the
 * hand-off runs at the end of a request. `endpoint` for tests.
 */
export function createSqsClient(options: { endpoint?: string } = {}): SQSClient {
  return new SQSClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 2,
    requestHandler: boundedRequestHandler({ connectTimeoutMs: 1000, requestTimeoutMs: 1500 }),
  });
}
