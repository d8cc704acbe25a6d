import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { z } from 'zod';

/**
 * A stand-in for the `rfh` command-line client, small enough to check line by line against
 * docs/RFH_CLIENT.md: every request is sent the way the client's Go code sends it (Go's
 * net/http and mime/multipart), and every response it reads is decoded with a schema that
 * mirrors the client's Go type (test/support/rfhClientTypes.ts). The section of that document
 * each behaviour copies is named in the comments.
 */

export interface GoResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Every URL requested, redirects included. */
  visited: string[];
  /** The Authorization header sent on the last hop (undefined when dropped). */
  lastAuthorization: string | undefined;
}

// "HTTP": Go's default transport keeps connections alive between requests.
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
export const closeClientConnections = () => agent.destroy();

// "HTTP": a Go http.Client follows at most 10 redirects, then fails.
const MAX_REDIRECTS = 10;
// "HTTP": every command's client has a 30 s timeout per request.
const TIMEOUT_MS = 30_000;

/**
 * One request as Go's net/http writes it ("HTTP"): `Host`, `User-Agent: Go-http-client/1.1`,
 * `Content-Length` (also `0` for a POST, PUT or PATCH without a body, none for a GET without one),
 * the caller's headers, then `Accept-Encoding: gzip` (and a gzip answer is decompressed), no
 * `Connection` header. Redirects are followed: 301/302/303 become a GET without a body, 307/308
 * repeat the request; `Authorization` is dropped when a redirect leads to another host.
 */
export async function goRequest(method: string, url: string, headers: Record<string, string> = {}, body?: Buffer): Promise<GoResponse> {
  const visited: string[] = [];
  let current = new URL(url);
  const originalHost = current.host;
  let hop = { method, body, headers: { ...headers } };
  for (let redirects = 0; ; redirects++) {
    visited.push(current.href);
    const res = await send(hop.method, current, hop.headers, hop.body);
    const location = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(res.status) || !location) {
      return { ...res, visited, lastAuthorization: hop.headers.Authorization };
    }
    if (redirects + 1 > MAX_REDIRECTS) throw new Error(`stopped after ${MAX_REDIRECTS} redirects`);
    current = new URL(location, current);
    const keepsBody = res.status === 307 || res.status === 308;
    const next: Record<string, string> = { ...hop.headers };
    if (current.host !== originalHost) delete next.Authorization;
    if (!keepsBody) delete next['Content-Type'];
    hop = { method: keepsBody ? hop.method : hop.method === 'HEAD' ? 'HEAD' : 'GET', body: keepsBody ? hop.body : undefined, headers: next };
  }
}

function send(method: string, url: URL, headers: Record<string, string>, body: Buffer | undefined): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  // Insertion order is the order on the wire.
  const wire: Record<string, string> = { Host: url.host, 'User-Agent': 'Go-http-client/1.1' };
  if (body !== undefined) wire['Content-Length'] = String(body.length);
  else if (method === 'POST' || method === 'PUT' || method === 'PATCH') wire['Content-Length'] = '0';
  // Go writes the caller's headers sorted by name.
  for (const name of Object.keys(headers).sort()) wire[name] = headers[name]!;
  wire['Accept-Encoding'] = 'gzip';
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, agent, headers: wire, setHost: false, timeout: TIMEOUT_MS });
    req.removeHeader('Connection'); // Node would add `Connection: keep-alive`; Go sends none.
    req.on('timeout', () => req.destroy(new Error(`timeout after ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: res.headers['content-encoding'] === 'gzip' ? gunzipSync(bytes) : bytes,
        });
      });
    });
    req.end(body);
  });
}

/**
 * `json.Unmarshal` into the client's type: the body must be JSON and fit the schema, else the
 * command fails ("failed to parse auth response" and the like).
 */
export function decodeAs<S extends z.ZodType>(schema: S, res: GoResponse, what: string): z.output<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new Error(`${what}: the body is not JSON (status ${res.status}): ${res.body.toString('utf8').slice(0, 200)}`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new Error(`${what}: failed to parse response: ${result.error.message}\n${JSON.stringify(parsed)}`);
  return result.data;
}

/** Go's json.Marshal escapes <, > and & (and U+2028/U+2029); MarshalIndent indents by two spaces. */
export function goJsonIndent(value: unknown): Buffer {
  const text = JSON.stringify(value, null, 2).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Buffer.from(text);
}

/**
 * A form as Go's mime/multipart.Writer builds it ("Publish"): a boundary of 30 random bytes in
 * hex; each file part from CreateFormFile, with `Content-Disposition: form-data; name="<field>";
 * filename="<base name>"` and `Content-Type: application/octet-stream`; the first boundary
 * without a leading CRLF, the closing one `\r\n--<boundary>--\r\n`. Built whole in memory.
 */
export function goMultipart(parts: Array<{ field: string; filename: string; bytes: Buffer }>): { contentType: string; body: Buffer } {
  const boundary = randomBytes(30).toString('hex');
  const quote = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    chunks.push(
      Buffer.from(
        `${i === 0 ? '' : '\r\n'}--${boundary}\r\n` +
          `Content-Disposition: form-data; name="${quote(p.field)}"; filename="${quote(p.filename)}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      p.bytes,
    );
  });
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

/** The client's two HTTP personalities ("Auth calls" and "Package calls"). */
export class RfhClient {
  /** What `rfh` keeps in its config after `auth login` or `auth register`. */
  token = '';

  constructor(
    /** "General": the configured URL with a trailing `/` trimmed. */
    private readonly baseUrl: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /**
   * "Auth calls": always `Content-Type: application/json`, also on logout and profile, which
   * send no body; `Authorization` only when a token is given; any status >= 400 is an error
   * printed as `API error (<status>): <error>`.
   */
  async auth(method: 'GET' | 'POST', path: string, payload?: object, token?: string): Promise<GoResponse> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    return goRequest(method, this.baseUrl + path, headers, payload === undefined ? undefined : Buffer.from(JSON.stringify(payload)));
  }

  /** "Package calls": `Authorization: Bearer <token>` whenever a token is saved, on every route. */
  async packages(method: 'GET' | 'POST', path: string, body?: { contentType: string; bytes: Buffer }): Promise<GoResponse> {
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body) headers['Content-Type'] = body.contentType;
    return goRequest(method, this.baseUrl + path, headers, body?.bytes);
  }

  /** The message `rfh auth ...` prints for a failed call. */
  static authError(res: GoResponse): string {
    try {
      const error = (JSON.parse(res.body.toString('utf8')) as { error?: unknown }).error;
      if (typeof error === 'string' && error !== '') return `API error (${res.status}): ${error}`;
    } catch {
      // falls through to the raw body, as the client does
    }
    return `API error (${res.status}): ${res.body.toString('utf8')}`;
  }

  /** "Paths": built by concatenation, names and versions unescaped. */
  static packagePath = (name: string) => `/v1/packages/${name}`;
  static versionPath = (name: string, version: string) => `/v1/packages/${name}/versions/${version}`;
  static blobPath = (sha256: string) => `/v1/blobs/${sha256}`;

  /** "Paths": search puts q, tag, target, limit in a URL-encoded query, each only when set. */
  static searchPath(opts: { q?: string; tag?: string; target?: string; limit?: number }): string {
    // Go's url.Values.Encode: keys sorted, each value QueryEscape'd.
    const pairs = Object.entries({ limit: opts.limit && opts.limit > 0 ? String(opts.limit) : '', q: opts.q ?? '', tag: opts.tag ?? '', target: opts.target ?? '' });
    const query = pairs.filter(([, v]) => v).map(([k, v]) => `${k}=${goQueryEscape(v)}`).join('&');
    return `/v1/packages${query ? `?${query}` : ''}`;
  }
}

/** Go's url.QueryEscape: bytes other than letters, digits and `-_.~` as %XX, a space as `+`. */
function goQueryEscape(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : b === 0x20 ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}
