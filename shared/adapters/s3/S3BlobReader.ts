import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { MAX_STORED_ARCHIVE_BYTES, type BlobDownload, type BlobReader } from '../../ports/BlobStore.js';
import { isSdkUnavailable } from '../../resilience/sdkErrors.js';
import { boundedRequestHandler, type SdkTimeouts } from '../../resilience/sdkTimeouts.js';
import {
  ARCHIVE_CONTENT_TYPE,
  DEFAULT_ARCHIVE_PREFIX,
  DEFAULT_DOWNLOAD_URL_SECONDS,
  EMULATOR_CREDENTIALS,
  S3_MAX_ATTEMPTS,
  S3_TIMEOUTS,
  archiveKey,
  toS3StoreError,
} from './archiveObjects.js';

type SignerInit = ConstructorParameters<typeof SignatureV4>[0];
type SignableRequest = Parameters<SignatureV4['presign']>[0];
type SentRequest = Parameters<NodeHttpHandler['handle']>[0];
type SourceData = string | ArrayBuffer | ArrayBufferView;

/** The SHA-256 of an empty body: what a signed HEAD request declares as its payload. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const bytesOf = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 (and, with a secret, HMAC-SHA256) for the signer, on node:crypto. */
class Sha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/**
 * S3 answered a HEAD with an error status. HEAD answers have no body, so the status is all there
 * is: the error carries it the way the SDK's errors do (`name`, `$fault`, `$metadata`), so that
 * the SDK's classification (isSdkUnavailable) reads it alike.
 */
export class S3HeadError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string; extendedRequestId?: string };

  constructor(status: number, what: string, headers: Record<string, string | undefined>, method: 'HEAD' | 'GET' = 'HEAD') {
    super(`S3 answered ${status} to ${method} ${what}`);
    this.name = STATUS_NAMES[status] ?? `Http${status}`;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = {
      httpStatusCode: status,
      ...(headers['x-amz-request-id'] ? { requestId: headers['x-amz-request-id'] } : {}),
      ...(headers['x-amz-id-2'] ? { extendedRequestId: headers['x-amz-id-2'] } : {}),
    };
  }
}

/** The S3 error codes a bodiless answer stands for. */
const STATUS_NAMES: Record<number, string> = {
  301: 'PermanentRedirect', // the bucket is in another region
  307: 'TemporaryRedirect',
  400: 'BadRequest',
  403: 'AccessDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  408: 'RequestTimeout',
  429: 'SlowDown',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'SlowDown',
};

/** S3's URI encoding of one path segment (RFC 3986 unreserved characters stay as they are). */
const encodeSegment = (segment: string) =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const encodeKey = (key: string) => key.split('/').map(encodeSegment).join('/');

/** A bucket name S3 serves as a host name (virtual-hosted style): no dots (TLS), DNS-compatible. */
const isVirtualHostable = (bucket: string) => /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes('--');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface S3BlobReaderOptions {
  bucket: string;
  /** The signing region (Lambda's AWS_REGION). */
  region: string;
  /** Static credentials or a provider (Lambda: the role's credentials in the environment). */
  credentials: SignerInit['credentials'];
  /** An S3-compatible endpoint (s3rver): path-style addressing. Default: S3 in `region`. */
  endpoint?: string;
  /** Key prefix of archives, ending in '/'. Default 'archives/'. */
  prefix?: string;
  /** Lifetime of presigned download URLs. Default 300. */
  downloadUrlSeconds?: number;
  /** Attempts per HEAD (retrying only "unavailable" failures). Default 3. */
  maxAttempts?: number;
  /** Default: 1 s to connect, 2 s per attempt, as the S3 client's. */
  timeouts?: SdkTimeouts;
  /** What sends the HEAD requests (tests). Default: the SDK's Node HTTP handler with `timeouts`. */
  requestHandler?: HeadSender;
}

/** The part of the SDK's HTTP handler the reader uses. */
export type HeadSender = Pick<NodeHttpHandler, 'handle' | 'destroy'>;

/**
 * The archive store for routes that only read it (the health probe, downloads), without the S3
 * client: HeadBucket and HeadObject are signed HEAD requests (the SDK's own SigV4 signer, sent
 * through its Node HTTP handler with the bounded timeouts every client has), and a download is a
 * GET URL presigned by the same signer. It answers exactly as S3BlobStore does: a stored archive
 * with a redirect to a URL valid `downloadUrlSeconds` that asks S3 for `application/gzip`, a
 * missing one with null (HeadObject 404); throttling, 5xx, timeouts and network failures (after
 * the same three attempts as the S3 client) with StoreUnavailableError('blobs'); anything else
 * (403, a wrong region, missing credentials) as an error that ends as a 500 and does not count
 * against the breaker. Publishing, which writes, uses S3BlobStore.
 */
export class S3BlobReader implements BlobReader {
  private readonly signer: SignatureV4;
  private readonly http: HeadSender;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly downloadUrlSeconds: number;
  private readonly maxAttempts: number;
  private readonly protocol: 'http:' | 'https:';
  private readonly hostname: string;
  private readonly port: number | undefined;
  /** What precedes the key in a path: '/<bucket>/' (path style) or '/' (virtual-hosted). */
  private readonly keyPath: string;
  /** The path of the bucket itself, for HeadBucket. */
  private readonly bucketPath: string;

  constructor(options: S3BlobReaderOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? DEFAULT_ARCHIVE_PREFIX;
    this.downloadUrlSeconds = options.downloadUrlSeconds ?? DEFAULT_DOWNLOAD_URL_SECONDS;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? S3_MAX_ATTEMPTS);
    let pathStyle: boolean;
    let basePath = '';
    if (options.endpoint) {
      const url = new URL(options.endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Unsupported S3 endpoint ${options.endpoint}`);
      this.protocol = url.protocol;
      this.hostname = url.hostname;
      this.port = url.port ? Number(url.port) : undefined;
      basePath = url.pathname.replace(/\/+$/, '');
      pathStyle = true;
    } else {
      const suffix = options.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
      pathStyle = !isVirtualHostable(options.bucket);
      this.protocol = 'https:';
      this.hostname = `${pathStyle ? '' : `${options.bucket}.`}s3.${options.region}.${suffix}`;
      this.port = undefined;
    }
    this.bucketPath = pathStyle ? `${basePath}/${encodeSegment(options.bucket)}` : '/';
    this.keyPath = pathStyle ? `${this.bucketPath}/` : '/';
    this.signer = new SignatureV4({
      service: 's3',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
      // S3 signs the path as sent (its keys are escaped once), and every request states its payload hash.
      uriEscapePath: false,
      applyChecksum: true,
    });
    this.http = options.requestHandler ?? new NodeHttpHandler(boundedRequestHandler(options.timeouts ?? S3_TIMEOUTS));
  }

  /** The object key of a blob. */
  key(sha256: string): string {
    return archiveKey(this.prefix, sha256);
  }

  private request(method: 'GET' | 'HEAD', path: string, headers: Record<string, string> = {}): SignableRequest {
    return {
      method,
      protocol: this.protocol,
      hostname: this.hostname,
      ...(this.port !== undefined ? { port: this.port } : {}),
      path,
      query: {},
      headers: { host: this.port !== undefined ? `${this.hostname}:${this.port}` : this.hostname, ...headers },
    };
  }

  /** One signed HEAD: true on 2xx, false on 404, an S3HeadError (or the network's error) otherwise. */
  private async headOnce(path: string, what: string): Promise<boolean> {
    const signed = await this.signer.sign(this.request('HEAD', path, { 'x-amz-content-sha256': EMPTY_SHA256 }));
    const { response } = await this.http.handle(signed as SentRequest);
    (response.body as { resume?: () => void } | undefined)?.resume?.(); // a HEAD answer has no body: free the socket
    if (response.statusCode >= 200 && response.statusCode < 300) return true;
    if (response.statusCode === 404) return false;
    throw new S3HeadError(response.statusCode, what, response.headers);
  }

  /** One signed GET: the body on 2xx, null on 404, an S3HeadError (or the network's error) otherwise. */
  private async getOnce(path: string, what: string): Promise<Uint8Array | null> {
    const signed = await this.signer.sign(this.request('GET', path, { 'x-amz-content-sha256': EMPTY_SHA256 }));
    const { response } = await this.http.handle(signed as SentRequest);
    const body = response.body as (AsyncIterable<Uint8Array> & { resume?: () => void; destroy?: () => void }) | undefined;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      body?.resume?.(); // the error document is not read: free the socket
      if (response.statusCode === 404) return null;
      throw new S3HeadError(response.statusCode, what, response.headers, 'GET');
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of body ?? []) {
      size += chunk.byteLength;
      if (size > MAX_STORED_ARCHIVE_BYTES) {
        body?.destroy?.();
        throw new Error(`Object ${what} is larger than any archive a publish stores`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  }

  /** A HEAD with the S3 client's retries: up to maxAttempts, only for "unavailable" failures, with its backoff. */
  private head(path: string, what: string): Promise<boolean> {
    return this.withRetries(() => this.headOnce(path, what));
  }

  /** The S3 client's retries: up to maxAttempts, only for "unavailable" failures, with its backoff. */
  private async withRetries<T>(attemptOnce: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptOnce();
      } catch (err) {
        if (attempt >= this.maxAttempts || !isSdkUnavailable(err)) throw toS3StoreError(err);
        const base = (err as { name?: unknown }).name === 'SlowDown' ? 500 : 100;
        await sleep(Math.floor(Math.min(20_000, Math.random() * 2 ** (attempt - 1) * base)));
      }
    }
  }

  async download(sha256: string): Promise<BlobDownload | null> {
    const key = this.key(sha256);
    const path = `${this.keyPath}${encodeKey(key)}`;
    if (!(await this.head(path, key))) return null;
    try {
      // As the SDK presigns GetObject: the payload unsigned, `host` the one signed header, the
      // response's Content-Type set by the URL, and GetObject's own parameters.
      const presigned = await this.signer.presign(
        {
          ...this.request('GET', path, { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD', 'x-amz-checksum-mode': 'ENABLED' }),
          query: { 'response-content-type': ARCHIVE_CONTENT_TYPE, 'x-id': 'GetObject' },
        },
        { expiresIn: this.downloadUrlSeconds, unsignableHeaders: new Set(['content-type']) },
      );
      return { kind: 'redirect', url: formatUrl(presigned) };
    } catch (err) {
      throw toS3StoreError(err);
    }
  }

  async read(sha256: string): Promise<Uint8Array | null> {
    const key = this.key(sha256);
    return this.withRetries(() => this.getOnce(`${this.keyPath}${encodeKey(key)}`, key));
  }

  async ping(): Promise<void> {
    // A HEAD of a missing bucket is a 404 too: a misconfiguration, never "fine".
    if (!(await this.head(this.bucketPath, `bucket ${this.bucket}`))) {
      throw new S3HeadError(404, `bucket ${this.bucket}`, {});
    }
  }

  /** Closes the HTTP handler's idle connections. */
  destroy(): void {
    this.http.destroy();
  }
}

/** A presigned request as a URL (query keys and values encoded as S3 signed them). */
function formatUrl(request: SignableRequest): string {
  const port = request.port !== undefined ? `:${request.port}` : '';
  const query = Object.keys(request.query ?? {})
    .sort()
    .flatMap((name) => {
      const value = request.query![name];
      const values = Array.isArray(value) ? value : [value];
      return values.map((v) => (v === null || v === undefined ? encodeSegment(name) : `${encodeSegment(name)}=${encodeSegment(v)}`));
    })
    .join('&');
  return `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ''}`;
}

/**
 * The Lambda runtime's reader for BLOBS_BUCKET (archives under BLOBS_PREFIX, default 'archives/'):
 * in AWS_REGION, with the credentials Lambda puts in the environment. With S3_ENDPOINT (an
 * emulator such as s3rver), path-style addressing and the emulator's dummy key, as createS3Client.
 */
export function createS3BlobReader(env: NodeJS.ProcessEnv = process.env, options: Partial<S3BlobReaderOptions> = {}): S3BlobReader {
  const bucket = options.bucket ?? env.BLOBS_BUCKET;
  if (!bucket) throw new Error('Missing required environment variable BLOBS_BUCKET');
  const endpoint = options.endpoint ?? env.S3_ENDPOINT;
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined);
  if (!region) throw new Error('Missing required environment variable AWS_REGION');
  return new S3BlobReader({
    ...options,
    bucket,
    region,
    ...(endpoint ? { endpoint } : {}),
    credentials: options.credentials ?? (endpoint ? { ...EMULATOR_CREDENTIALS } : fromEnv()),
    prefix: options.prefix ?? env.BLOBS_PREFIX,
  });
}
