import {
  BatchGetItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { RDSDataServiceException } from '@aws-sdk/client-rds-data';
import { HeadObjectCommand, NoSuchBucket, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { toDynamoStoreError } from '../../shared/adapters/dynamodb/dynamoErrors.js';
import { DynamoSessionStore } from '../../shared/adapters/dynamodb/DynamoSessionStore.js';
import { toDataApiError } from '../../shared/adapters/postgres/DataApiDatabase.js';
import { S3BlobStore, toS3StoreError } from '../../shared/adapters/s3/S3BlobStore.js';
import { StoreUnavailableError } from '../../shared/errors.js';
import { errorToResponse } from '../../shared/http/errorResponse.js';
import { logger } from '../../shared/observability/telemetry.js';
import { guardSdkClient } from '../../shared/resilience/guardSdkClient.js';
import { GuardedBlobStore } from '../../shared/resilience/GuardedBlobStore.js';
import { createStoreGuards } from '../../shared/resilience/storeGuards.js';

// Which AWS SDK failures mean "the store is unavailable now" (503 with Retry-After, counted by
// the circuit breaker) and which are errors no retry can fix (a logged 500 with a constant
// message, never counted against the store): the SDK's own retry classes decide.

// Errors as the SDK raises them: service exceptions carry $metadata (status) and $fault; network
// failures are Node's system errors (code), to which the SDK adds $metadata without a status.
const dynamoError = (name: string, status: number, extra: object = {}) =>
  new DynamoDBServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name, ...extra });
const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:8000`), { code, $metadata: { attempts: 2 } });
// node-http-handler's request timeout (with throwOnRequestTimeout).
const requestTimeout = () =>
  Object.assign(new Error('a request has exceeded the configured 1500 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: {} });
const noCredentials = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false });

/** Failures that mean the store cannot serve now. */
const unavailable: Array<[string, () => unknown]> = [
  ['ThrottlingException', () => new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 400 } })],
  ['ProvisionedThroughputExceededException', () => new ProvisionedThroughputExceededException({ message: 'x', $metadata: { httpStatusCode: 400 } })],
  ['InternalServerError (500)', () => new InternalServerError({ message: 'x', $metadata: { httpStatusCode: 500 } })],
  ['ServiceUnavailable (503)', () => dynamoError('ServiceUnavailable', 503)],
  ['any other 5xx', () => dynamoError('NotImplemented', 501)],
  ['429', () => dynamoError('TooManyRequests', 429)],
  ['a request timeout (TimeoutError, ETIMEDOUT)', requestTimeout],
  ['ECONNREFUSED', () => systemError('ECONNREFUSED')],
  ['ECONNRESET', () => systemError('ECONNRESET')],
  ['ENOTFOUND', () => systemError('ENOTFOUND')],
  ['ENETUNREACH', () => systemError('ENETUNREACH')],
  ['a premature close of the response', () => systemError('ERR_STREAM_PREMATURE_CLOSE')],
  ['a clock skew the SDK has corrected', () => dynamoError('InvalidSignatureException', 400, { $metadata: { httpStatusCode: 400, clockSkewCorrected: true } })],
];

/** Errors in our code, permissions, configuration or the request: retrying cannot help. */
const notUnavailable: Array<[string, () => unknown]> = [
  ['TypeError', () => new TypeError("Cannot read properties of undefined (reading 'S')")],
  ['RangeError', () => new RangeError('Invalid array length')],
  ['AccessDeniedException', () => dynamoError('AccessDeniedException', 400)],
  ['UnrecognizedClientException', () => dynamoError('UnrecognizedClientException', 400)],
  ['a signature refused without a clock skew to correct', () => dynamoError('InvalidSignatureException', 400)],
  ['ValidationException', () => dynamoError('ValidationException', 400)],
  ['ResourceNotFoundException (a missing table)', () => new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } })],
  ['missing credentials', noCredentials],
];

describe('DynamoDB: toDynamoStoreError and the adapters (aws-sdk-client-mock)', () => {
  // Mocks the prototype's send: restored after this block, for the real clients further down.
  const mockDynamo = () => mockClient(DynamoDBClient);
  let ddb!: ReturnType<typeof mockDynamo>;
  const store = new DynamoSessionStore(new DynamoDBClient({ region: 'us-east-1' }), 'tbl');
  beforeAll(() => {
    ddb = mockDynamo();
  });
  afterAll(() => ddb.restore());
  beforeEach(() => ddb.reset());

  it.each(unavailable)('%s: StoreUnavailableError(dynamodb)', async (_, make) => {
    const err = make();
    expect(toDynamoStoreError(err)).toBeInstanceOf(StoreUnavailableError);
    ddb.on(BatchGetItemCommand).rejects(err as Error);
    const thrown = await store.lookup('h', 1).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(StoreUnavailableError);
    expect((thrown as StoreUnavailableError).store).toBe('dynamodb');
    expect((thrown as StoreUnavailableError).cause).toBe(err);
  });

  it.each(notUnavailable)('%s: rethrown as it is (a 500), not "unavailable"', async (_, make) => {
    const err = make();
    expect(toDynamoStoreError(err)).toBe(err);
    ddb.on(BatchGetItemCommand).rejects(err as Error);
    await expect(store.lookup('h', 1)).rejects.toBe(err);
  });

  it('keeps the outcomes the adapters handle as they are (ConditionalCheckFailedException)', () => {
    const lost = dynamoError('ConditionalCheckFailedException', 400);
    expect(toDynamoStoreError(lost)).toBe(lost);
  });

  it('takes keys left unprocessed by BatchGetItem (throttling) as "unavailable"', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { tbl: [] }, UnprocessedKeys: { tbl: { Keys: [{ pk: { S: 'x' } }] } } });
    await expect(store.lookup('h', 1)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('S3: toS3StoreError and the adapter (aws-sdk-client-mock)', () => {
  const mockS3 = () => mockClient(S3Client);
  let s3!: ReturnType<typeof mockS3>;
  const store = new S3BlobStore(new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } }), 'bkt');
  const hash = 'cd'.padEnd(64, '0');
  beforeAll(() => {
    s3 = mockS3();
  });
  afterAll(() => s3.restore());
  beforeEach(() => s3.reset());

  const s3Unavailable: Array<[string, () => unknown]> = [
    ['SlowDown (503)', () => s3Error('SlowDown', 503)],
    ['InternalError (500)', () => s3Error('InternalError', 500)],
    ['RequestTimeout (400)', () => s3Error('RequestTimeout', 400)],
    ['408', () => s3Error('RequestTimeout', 408)],
    ['a request timeout (TimeoutError)', requestTimeout],
    ['ECONNRESET', () => systemError('ECONNRESET')],
    ['a clock skew the SDK has corrected', () => Object.assign(s3Error('RequestTimeTooSkewed', 403), { $metadata: { httpStatusCode: 403, clockSkewCorrected: true } })],
  ];
  const s3NotUnavailable: Array<[string, () => unknown]> = [
    ['AccessDenied (403)', () => s3Error('AccessDenied', 403)],
    ['NoSuchBucket (a missing bucket)', () => new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: { httpStatusCode: 404 } })],
    ['InvalidRequest (400)', () => s3Error('InvalidRequest', 400)],
    ['TypeError', () => new TypeError('bug')],
    ['missing credentials', noCredentials],
    ['an error of unknown origin', () => new Error('something else')],
  ];

  it.each(s3Unavailable)('%s: StoreUnavailableError(blobs)', async (_, make) => {
    const err = make();
    expect(toS3StoreError(err)).toBeInstanceOf(StoreUnavailableError);
    s3.on(HeadObjectCommand).rejects(err as Error);
    await expect(store.download(hash)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it.each(s3NotUnavailable)('%s: rethrown as it is (a 500), not "unavailable"', async (_, make) => {
    const err = make();
    expect(toS3StoreError(err)).toBe(err);
    s3.on(HeadObjectCommand).rejects(err as Error);
    await expect(store.download(hash)).rejects.toBe(err);
    s3.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: '' }));
    s3.on(PutObjectCommand).rejects(err as Error);
    await expect(store.put(hash, new Uint8Array([1]))).rejects.toBe(err);
  });

  it('does not count permission errors against the blob store: the breaker stays closed', async () => {
    const guards = createStoreGuards();
    const guarded = new GuardedBlobStore(store, guards.blobs);
    s3.on(HeadObjectCommand).rejects(s3Error('AccessDenied', 403));
    for (let i = 0; i < 8; i++) await expect(guarded.download(hash)).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(guards.blobs.state).toBe('closed');
    expect(guards.blobs.stats.failures).toBe(0);
  });
});

describe('RDS Data API: toDataApiError', () => {
  const dataApiError = (name: string, status: number) =>
    new RDSDataServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });

  it.each([
    ['a request timeout (TimeoutError)', requestTimeout],
    ['ECONNRESET', () => systemError('ECONNRESET')],
    ['ENETUNREACH', () => systemError('ENETUNREACH')],
    ['a premature close of the response', () => systemError('ERR_STREAM_PREMATURE_CLOSE')],
    ['ThrottlingException', () => dataApiError('ThrottlingException', 400)],
  ])('%s: StoreUnavailableError(postgres)', (_, make) => {
    expect(toDataApiError(make())).toBeInstanceOf(StoreUnavailableError);
  });

  it.each([
    ['AccessDeniedException (403)', () => dataApiError('AccessDeniedException', 403)],
    ['ForbiddenException (403)', () => dataApiError('ForbiddenException', 403)],
    ['TypeError', () => new TypeError('bug')],
    ['missing credentials', noCredentials],
  ])('%s: a DataApiError (a 500), not "unavailable"', (_, make) => {
    const mapped = toDataApiError(make());
    expect(mapped).not.toBeInstanceOf(StoreUnavailableError);
    expect((mapped as Error).name).toBe('DataApiError');
  });
});

/**
 * A DynamoDB client whose HTTP layer answers every request with one canned error, so that the
 * error is the SDK's own (deserialized from the wire) and passes through the guard middleware.
 */
function dynamoAnswering(status: number, type: string) {
  const requests = { count: 0 };
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    maxAttempts: 1,
    requestHandler: {
      async handle() {
        requests.count++;
        if (type === 'TypeError') throw new TypeError("Cannot read properties of undefined (reading 'headers')");
        return {
          response: {
            statusCode: status,
            headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type },
            body: Buffer.from(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} for this test` })),
          },
        };
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
    } as never,
  });
  return { client, requests };
}

describe('the DynamoDB circuit breaker (the guard middleware on a real client)', () => {
  it.each([
    ['AccessDeniedException', 400],
    ['ValidationException', 400],
    ['ResourceNotFoundException', 400],
    ['UnrecognizedClientException', 400],
    ['TypeError', 0],
  ])('%s: never counted, never opens the circuit, every call reaches DynamoDB', async (type, status) => {
    const guards = createStoreGuards();
    const { client, requests } = dynamoAnswering(status, type);
    const store = new DynamoSessionStore(guardSdkClient(client, guards.dynamodb), 'tbl');
    for (let i = 0; i < 10; i++) {
      const err = await store.lookup('h', 1).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).name).toBe(type);
    }
    expect(requests.count).toBe(10);
    expect(guards.dynamodb.state).toBe('closed');
    expect(guards.dynamodb.stats.failures).toBe(0);
  });

  it.each([
    ['ThrottlingException', 400],
    ['InternalServerError', 500],
  ])('%s: counted; five in a row open the circuit, then calls fail fast with Retry-After', async (type, status) => {
    const guards = createStoreGuards();
    const { client, requests } = dynamoAnswering(status, type);
    const store = new DynamoSessionStore(guardSdkClient(client, guards.dynamodb), 'tbl');
    for (let i = 0; i < 5; i++) await expect(store.lookup('h', 1)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(guards.dynamodb.state).toBe('open');
    expect(guards.dynamodb.stats.failures).toBe(5);
    const shortCircuited = await store.lookup('h', 1).catch((e: unknown) => e);
    expect(shortCircuited).toBeInstanceOf(StoreUnavailableError);
    expect(requests.count).toBe(5);
    expect(errorToResponse(shortCircuited).headers?.['Retry-After']).toMatch(/^[1-9]\d*$/);
  });
});

describe('what the client sees', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a permission or programming error: 500 with a constant message, logged with the error', () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => {});
    for (const err of [dynamoError('AccessDeniedException', 400), new TypeError('bug in the adapter')]) {
      const r = errorToResponse(toDynamoStoreError(err), 'req-1');
      expect(r.statusCode).toBe(500);
      expect(JSON.parse(r.body!)).toEqual({ error: 'Internal server error' });
      expect(r.headers?.['Retry-After']).toBeUndefined();
      expect(logged).toHaveBeenLastCalledWith('unhandled error', { requestId: 'req-1', error: err });
    }
  });

  it('a store that is unavailable: 503 with Retry-After', () => {
    const r = errorToResponse(toDynamoStoreError(new ThrottlingException({ message: 'x', $metadata: { httpStatusCode: 400 } })));
    expect(r.statusCode).toBe(503);
    expect(Number(r.headers?.['Retry-After'])).toBeGreaterThan(0);
  });
});
