/**
 * THE route table. Each entry is a route's whole contract: method, path, access, limits, the
 * schemas of its body, query and answer, its archive-bucket rights and how it may be cached. The
 * middleware validates with it; the local server, the CDK stack (functions, routes, IAM,
 * CloudFront behaviours) and the OpenAPI document are all built from it, so they cannot drift
 * apart. To add an endpoint, add an entry and a handler file. To find an endpoint's code from its
 * URL: `handler` is the entry file under functions/ (without extension).
 */
import type * as z from 'zod/mini';
import type { Port } from './runtime/ports.js';
import { changePasswordRequest, loginRequest, registerRequest, roleChangeRequest } from './users/schemas.js';
import { manifestSchema } from './packages/manifest.js';
import { markReasonRequest } from './packages/VersionStatus.js';
import { searchQuery } from './packages/searchQuery.js';
import { createRegistryRequest, createTokenRequest, memberRequest, updateRegistryRequest } from './registries/Registry.js';
import { pageQuery } from './schemas/paging.js';
import {
  healthBody,
  loginBody,
  messageBody,
  ownersBody,
  packageBody,
  profileBody,
  publishBody,
  registerBody,
  searchRows,
  sessionsBody,
  versionBody,
} from './schemas/responses.js';

import type { Role } from './auth/roles.js';

/** Who may call a route: anyone, or any signed-in user at least this role. */
export type Access = 'public' | Role;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDefinition {
  method: HttpMethod;
  /** API Gateway HTTP API path template, e.g. /v1/packages/{name}. */
  path: string;
  /**
   * More API Gateway paths served by the same function. Scoped package names (`@scope/name`)
   * arrive unescaped from the rfh client, as two path segments, and API Gateway variables match
   * one segment: each `{name}` route also has a `{scope}/{name}` alias.
   */
  aliases?: readonly string[];
  /** Entry file under functions/, without extension. */
  handler: string;
  access: Access;
  /**
   * On a public route, identify the caller when a valid token is sent (a dead token then means
   * an anonymous caller): private registries' packages are visible to their members.
   */
  identifyCaller?: boolean;
  /** Which API-token scope this route accepts; without it, API tokens are refused (403). */
  apiTokens?: 'read' | 'publish';
  /** Per-client limit: requests per minute from one source address. */
  rateLimitPerMinute: number;
  /** Largest request body accepted, in bytes (413 above it). */
  maxBodyBytes: number;
  memoryMb: number;
  timeoutSeconds: number;
  summary: string;
  /** The JSON body, validated by the middleware before the handler runs (and documented). */
  body?: z.ZodMiniType;
  /** The query string, validated (and coerced) by the middleware. */
  query?: z.ZodMiniType;
  /**
   * A body the handler reads itself (multipart), described here for the OpenAPI document; the
   * middleware hands it over as bytes, unparsed.
   */
  rawBody?: { contentType: 'multipart/form-data'; parts: Record<string, { description: string; json?: z.ZodMiniType }> };
  /** The success answer's shape, for the OpenAPI document. */
  response?: z.ZodMiniType;
  /**
   * The optional ports its use case needs (shared/runtime/ports.ts): its Lambda function builds,
   * and bundles, only these; using another fails at once, in tests too. Default none.
   */
  uses?: readonly Port[];
  /** What the route's function may do in the archive bucket (its IAM rights follow). Default none. */
  bucket?: BucketAccess;
  /** How CloudFront may cache the route's answers (its behaviours follow). Default never. */
  cache?: CacheClass;
  /**
   * A page of the web catalogue: it answers HTML, its errors too (as pages), and it is anonymous
   * (public, never identifying a caller), so every visitor gets the same page, which a shared
   * cache may keep, and no private package ever appears on one. Left out of the OpenAPI document.
   */
  page?: true;
}

/** `probe`: HeadBucket only (the health check), no object access. */
export type BucketAccess = 'none' | 'probe' | 'read' | 'read-write';

/**
 * - never: not cached (every route that is not a public GET, and any whose answer must be fresh).
 * - immutable: archives and published versions: bytes that never change, cached minutes at most
 *   because their visibility can.
 * - brief: other public GETs (package pages, search, the API document).
 */
export type CacheClass = 'never' | 'brief' | 'immutable';

const JSON_BODY = 16 * 1024;
/** Lambda takes at most 6 MiB per synchronous invocation: the whole event, not just the body. */
const LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024;
/** What the event carries besides the body (headers, request context), with room to spare. */
const EVENT_ENVELOPE_ALLOWANCE = 100 * 1024;
/**
 * The largest publish request (the whole multipart body): API Gateway hands a binary body to
 * Lambda base64-encoded (4 bytes for every 3), so this is what still fits in one invocation:
 * 4,641,792 bytes, about 4.4 MiB. The local server enforces the same number.
 */
export const PUBLISH_BODY_LIMIT = Math.floor(((LAMBDA_PAYLOAD_LIMIT - EVENT_ENVELOPE_ALLOWANCE) * 3) / 4);

/** `/v1/packages/{name}<rest>` and its scoped alias `/v1/packages/{scope}/{name}<rest>`. */
const packagePath = <Rest extends string = ''>(rest = '' as Rest) => ({
  // The literal path, so each route's key (and the type of its body) is its own.
  path: `/v1/packages/{name}${rest}` as const,
  aliases: [`/v1/packages/{scope}/{name}${rest}`],
});

/** The web catalogue's page of a package: `/packages/{name}<rest>`, and `/packages/{scope}/{name}<rest>`. */
const packagePagePath = (rest = '') => ({
  path: `/packages/{name}${rest}`,
  aliases: [`/packages/{scope}/{name}${rest}`],
});

export const routes = [
  {
    method: 'GET', path: '/v1/health', handler: 'health', access: 'public',
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'Service health, with the state of each data store',
    uses: ['postgres', 'blobs'],
    response: healthBody, bucket: 'probe',
  },
  {
    method: 'POST', path: '/v1/auth/register', handler: 'auth/register', access: 'public', identifyCaller: true,
    rateLimitPerMinute: 30, maxBodyBytes: JSON_BODY, memoryMb: 1024, timeoutSeconds: 10,
    summary: 'Create an account and sign in',
    uses: ['postgres', 'passwords'],
    body: registerRequest, response: registerBody,
  },
  {
    method: 'POST', path: '/v1/auth/login', handler: 'auth/login', access: 'public',
    rateLimitPerMinute: 120, maxBodyBytes: JSON_BODY, memoryMb: 1024, timeoutSeconds: 10,
    summary: 'Sign in with username and password; returns a bearer token',
    uses: ['postgres', 'passwords'],
    body: loginRequest, response: loginBody,
  },
  {
    method: 'POST', path: '/v1/auth/logout', handler: 'auth/logout', access: 'user',
    rateLimitPerMinute: 120, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 5,
    summary: 'End the current session',
    response: messageBody,
  },
  {
    method: 'GET', path: '/v1/auth/profile', handler: 'auth/profile', access: 'user',
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'The signed-in user',
    uses: ['postgres'],
    response: profileBody,
  },
  {
    method: 'GET', path: '/v1/auth/sessions', handler: 'auth/sessions/list', access: 'user',
    rateLimitPerMinute: 120, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: "The signed-in user's live sessions (the current one marked), newest first",
    response: sessionsBody,
  },
  {
    method: 'DELETE', path: '/v1/auth/sessions/{id}', handler: 'auth/sessions/end', access: 'user',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 5,
    summary: 'End one of your own sessions by its number',
    response: messageBody,
  },
  {
    method: 'POST', path: '/v1/auth/change-password', handler: 'auth/change-password', access: 'user',
    rateLimitPerMinute: 20, maxBodyBytes: JSON_BODY, memoryMb: 1024, timeoutSeconds: 10,
    summary: "Change the signed-in user's password; ends every other session",
    uses: ['postgres', 'passwords'],
    body: changePasswordRequest, response: messageBody,
  },
  {
    method: 'DELETE', path: '/v1/auth/delete-account', handler: 'auth/delete-account', access: 'user',
    rateLimitPerMinute: 20, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Deactivate the signed-in account and end all its sessions',
    uses: ['postgres'],
    response: messageBody,
  },
  {
    method: 'GET', path: '/v1/packages', handler: 'packages/search', access: 'public', identifyCaller: true, apiTokens: 'read',
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 512, timeoutSeconds: 5,
    summary: 'Search packages: one row per package with its latest version, by relevance',
    uses: ['postgres'],
    query: searchQuery, response: searchRows, cache: 'brief',
  },
  {
    // Who may publish depends on the package's registry: checked by the use case.
    method: 'POST', path: '/v1/packages', handler: 'packages/publish', access: 'user', apiTokens: 'publish',
    rateLimitPerMinute: 30, maxBodyBytes: PUBLISH_BODY_LIMIT, memoryMb: 1024, timeoutSeconds: 15,
    summary: 'Publish a package version (multipart: manifest + archive)',
    uses: ['postgres', 'blobWrites'],
    rawBody: {
      contentType: 'multipart/form-data',
      parts: {
        manifest: { description: 'The package manifest, a JSON file part', json: manifestSchema },
        archive: { description: 'The .tgz that rfh pack made, a file part' },
      },
    },
    response: publishBody, bucket: 'read-write',
  },
  {
    method: 'GET', ...packagePath(), handler: 'packages/get', access: 'public', identifyCaller: true, apiTokens: 'read',
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 512, timeoutSeconds: 5,
    summary: 'A package: description, latest version, all versions, tags, owners',
    uses: ['postgres'],
    response: packageBody, cache: 'brief',
  },
  {
    method: 'GET', ...packagePath('/versions/{version}'), handler: 'packages/versions/get', access: 'public', identifyCaller: true, apiTokens: 'read',
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 512, timeoutSeconds: 5,
    summary: 'One published version, with the SHA-256 of its archive',
    uses: ['postgres'],
    response: versionBody, cache: 'immutable',
  },
  {
    method: 'GET', ...packagePath('/owners'), handler: 'packages/owners/list', access: 'public', identifyCaller: true, apiTokens: 'read',
    rateLimitPerMinute: 300, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: "A package's owners",
    uses: ['postgres'],
    response: ownersBody, cache: 'brief',
  },
  {
    method: 'PUT', ...packagePath('/owners/{username}'), handler: 'packages/owners/add', access: 'publisher',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 5,
    summary: 'Add an owner (an owner or an admin; the new owner must be a publisher or above)',
    uses: ['postgres'],
    response: ownersBody,
  },
  {
    method: 'DELETE', ...packagePath('/owners/{username}'), handler: 'packages/owners/remove', access: 'publisher',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 5,
    summary: 'Remove an owner (never the last one)',
    uses: ['postgres'],
    response: ownersBody,
  },
  {
    method: 'PUT', ...packagePath('/versions/{version}/yank'), handler: 'packages/versions/yank', access: 'user',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Yank a version: out of latest and search, still installable (an owner, an admin of its registry or an admin)',
    uses: ['postgres'],
    body: markReasonRequest, response: versionBody,
  },
  {
    method: 'DELETE', ...packagePath('/versions/{version}/yank'), handler: 'packages/versions/unyank', access: 'user',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Take a yank back (an owner, an admin of its registry or an admin)',
    uses: ['postgres'],
    response: versionBody,
  },
  {
    method: 'PUT', ...packagePath('/versions/{version}/quarantine'), handler: 'packages/versions/quarantine', access: 'admin',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Quarantine a version: its archive is no longer served, and it leaves latest and search (admin)',
    uses: ['postgres'],
    body: markReasonRequest, response: versionBody,
  },
  {
    method: 'DELETE', ...packagePath('/versions/{version}/quarantine'), handler: 'packages/versions/release', access: 'admin',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Release a quarantined version: its archive is served again (admin)',
    uses: ['postgres'],
    response: versionBody,
  },
  {
    method: 'GET', path: '/v1/blobs/{sha256}', handler: 'blobs/get', access: 'public', identifyCaller: true, apiTokens: 'read',
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 512, timeoutSeconds: 10,
    summary: 'Download an archive by its SHA-256 (bytes, or a redirect to a short-lived URL)',
    uses: ['postgres', 'blobs'],
    bucket: 'read', cache: 'immutable',
  },
  {
    method: 'GET', path: '/v1/admin/users', handler: 'admin/users/list', access: 'admin',
    rateLimitPerMinute: 120, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'List users (admin)',
    uses: ['postgres'],
    query: pageQuery,
  },
  {
    method: 'DELETE', path: '/v1/admin/users/{id}', handler: 'admin/users/delete', access: 'admin',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Deactivate a user and end its sessions (admin; never yourself, never root)',
    uses: ['postgres'],
  },
  {
    method: 'PUT', path: '/v1/admin/users/{username}/role', handler: 'admin/users/role', access: 'admin',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: "Change a user's role (admin; never root's); takes effect on live sessions at once",
    uses: ['postgres'],
    body: roleChangeRequest,
  },
  {
    method: 'GET', path: '/v1/registries', handler: 'registries/list', access: 'public', identifyCaller: true,
    rateLimitPerMinute: 300, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'Registries the caller can see',
    uses: ['postgres'],
    cache: 'brief',
  },
  {
    method: 'POST', path: '/v1/registries', handler: 'registries/create', access: 'publisher',
    rateLimitPerMinute: 20, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Create a registry (namespace @name); the creator becomes its admin',
    uses: ['postgres'],
    body: createRegistryRequest,
  },
  {
    method: 'GET', path: '/v1/registries/{registry}', handler: 'registries/get', access: 'public', identifyCaller: true,
    rateLimitPerMinute: 300, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'A registry, with an ETag of its configuration version',
    uses: ['postgres'],
    cache: 'brief',
  },
  {
    method: 'PATCH', path: '/v1/registries/{registry}', handler: 'registries/update', access: 'user',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Change description, visibility or safety policy (registry admin; If-Match required)',
    uses: ['postgres'],
    body: updateRegistryRequest,
  },
  {
    method: 'GET', path: '/v1/registries/{registry}/members', handler: 'registries/members/list', access: 'user',
    rateLimitPerMinute: 120, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'Members and their roles (members only)',
    uses: ['postgres'],
  },
  {
    method: 'PUT', path: '/v1/registries/{registry}/members/{username}', handler: 'registries/members/set', access: 'user',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Add a member or change its role (registry admin)',
    uses: ['postgres'],
    body: memberRequest,
  },
  {
    method: 'DELETE', path: '/v1/registries/{registry}/members/{username}', handler: 'registries/members/remove', access: 'user',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Remove a member (registry admin; never the last admin)',
    uses: ['postgres'],
  },
  {
    method: 'POST', path: '/v1/registries/{registry}/tokens', handler: 'registries/tokens/create', access: 'user',
    rateLimitPerMinute: 20, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Create an API token for this registry; the secret is shown once',
    uses: ['postgres'],
    body: createTokenRequest,
  },
  {
    method: 'GET', path: '/v1/registries/{registry}/tokens', handler: 'registries/tokens/list', access: 'user',
    rateLimitPerMinute: 120, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: "API tokens of this registry (all for its admins, one's own otherwise), never secrets",
    uses: ['postgres'],
  },
  {
    method: 'DELETE', path: '/v1/registries/{registry}/tokens/{id}', handler: 'registries/tokens/revoke', access: 'user',
    rateLimitPerMinute: 60, maxBodyBytes: JSON_BODY, memoryMb: 256, timeoutSeconds: 10,
    summary: 'Revoke an API token at once (its creator or a registry admin)',
    uses: ['postgres'],
  },
  {
    method: 'GET', path: '/v1/registries/{registry}/audit', handler: 'registries/audit', access: 'user',
    rateLimitPerMinute: 60, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'The registry audit log, newest first (registry admin)',
    uses: ['postgres'],
    query: pageQuery,
  },
  {
    method: 'GET', path: '/v1/metrics', handler: 'metrics', access: 'admin',
    rateLimitPerMinute: 120, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'Per-route and per-store figures of this process (admin)',
    uses: ['postgres'], // the report includes this container's pool
  },
  {
    method: 'GET', path: '/v1/openapi.json', handler: 'openapi', access: 'public',
    rateLimitPerMinute: 120, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'This API, as an OpenAPI 3.1 document generated from the route table',
    cache: 'brief',
  },

  // The web catalogue: anonymous HTML pages over the same use cases (shared/catalogue/ gathers
  // what a page shows, shared/web/ renders it).
  {
    method: 'GET', path: '/', handler: 'pages/home', access: 'public', page: true,
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 512, timeoutSeconds: 5,
    summary: 'Catalogue home: search box, counts, recently published and most downloaded packages',
    uses: ['postgres'],
    cache: 'brief',
  },
  {
    method: 'GET', path: '/search', handler: 'pages/search', access: 'public', page: true,
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 512, timeoutSeconds: 5,
    summary: 'Search results, with matches inside rule files, filters by tag and target, paging',
    uses: ['postgres'],
    query: searchQuery, cache: 'brief',
  },
  {
    method: 'GET', ...packagePagePath(), handler: 'pages/package', access: 'public', page: true,
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 512, timeoutSeconds: 10,
    summary: "A package's page: install line, versions, and the latest version's files rendered",
    uses: ['postgres', 'blobs'],
    bucket: 'read', cache: 'brief',
  },
  {
    method: 'GET', ...packagePagePath('/versions/{version}'), handler: 'pages/version', access: 'public', page: true,
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 512, timeoutSeconds: 10,
    summary: "One version's page: install line, archive facts and its files rendered",
    uses: ['postgres', 'blobs'],
    bucket: 'read', cache: 'brief',
  },
  {
    // API Gateway tries a greedy path last: this answers whatever no other route serves (a page
    // with a search box, or the API's JSON 404 under /v1/).
    method: 'GET', path: '/{proxy+}', handler: 'pages/not-found', access: 'public', page: true,
    rateLimitPerMinute: 600, maxBodyBytes: 0, memoryMb: 256, timeoutSeconds: 5,
    summary: 'Not found: a page with a search box (JSON under /v1/)',
  },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof routes)[number];
/** Each route's entry by its key (`METHOD path`), with the types of its schemas. */
export type RouteByKey = { [R in Route as `${R['method']} ${R['path']}`]: R };
export type RouteKey = keyof RouteByKey;
/** What the validated body of a route is (undefined without a body schema). */
export type BodyOf<K extends RouteKey> = RouteByKey[K] extends { body: infer B extends z.ZodMiniType } ? z.output<B> : undefined;
/** What the validated query of a route is (undefined without a query schema). */
export type QueryOf<K extends RouteKey> = RouteByKey[K] extends { query: infer Q extends z.ZodMiniType } ? z.output<Q> : undefined;

export const routeKey = (r: RouteDefinition): string => `${r.method} ${r.path}`;

export function findRoute(key: RouteKey): RouteDefinition {
  const found = routes.find((r) => routeKey(r) === key);
  if (!found) throw new Error(`No route ${key} in shared/routes.ts`);
  return found;
}

