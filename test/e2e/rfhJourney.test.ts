import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../scripts/bench/serverProcess.js';
import { authResponse, errorBody, packageInfo, packageVersion, publishResult, searchResults, userProfile } from '../support/rfhClientTypes.js';
import { closeClientConnections, decodeAs, goJsonIndent, goMultipart, goRequest, RfhClient } from './rfhClient.js';

// The README's "Using it with rfh" journey, end to end: `npm start`'s server in its own process
// on embedded stores, driven by a stand-in for the rfh client that sends what rfh sends and
// decodes what rfh decodes (docs/RFH_CLIENT.md). Each step depends on the ones before it.

const ROOT_PASSWORD = 'e2e-root-password';
let server: ServerProcess;
let dataDir: string;
let rfh: RfhClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'rfh-e2e-'));
  server = await startServerProcess({
    RFH_DATA_DIR: dataDir,
    RFH_ROOT_PASSWORD: ROOT_PASSWORD,
    // The embedded stores, whatever the environment of the test run points at.
    DATABASE_URL: '',
    DYNAMODB_ENDPOINT: '',
    BLOBS_BUCKET: '',
  });
  rfh = new RfhClient(`${server.url}/`); // a trailing slash, as users often type it
});
afterAll(async () => {
  closeClientConnections();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/**
 * `rfh pack --file=<rule> --package=<name> --version=<v>` ("Pack"): a manifest with the packed
 * file's name in `files`, written into the package folder as rulestack.json and packed with it
 * (gzip over a ustar tar, regular files, mode 0644); `rfh publish` then sends the manifest
 * again as its own part.
 */
async function rfhPack(name: string, version: string, rule: { file: string; text: string }, mtime = new Date()) {
  const manifest = goJsonIndent({
    name,
    version,
    description: `Package containing ${rule.file}`,
    targets: ['cursor'],
    files: [rule.file],
    license: 'MIT',
  });
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (c) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => tar.on('end', () => resolve()));
  // filepath.Walk's lexical order.
  for (const [entry, bytes] of [
    [rule.file, Buffer.from(rule.text)],
    ['rulestack.json', manifest],
  ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))) as Array<[string, Buffer]>) {
    tar.entry({ name: entry, size: bytes.length, mode: 0o644, mtime, uname: 'dev', gname: 'dev', type: 'file' }, bytes);
  }
  tar.finalize();
  await ended;
  const archive = gzipSync(Buffer.concat(chunks));
  const base = `${name.replace(/^@[^/]+\//, '')}-${version}`;
  return { manifest, archive, archiveFile: `${base}.tgz`, manifestFile: `temp-manifest-${base}.json` };
}

/** `rfh publish`: a health check, then the multipart form of each staged archive. */
async function rfhPublish(staged: Awaited<ReturnType<typeof rfhPack>>) {
  const health = await rfh.packages('GET', '/v1/health');
  expect(health.status).toBe(200);
  const form = goMultipart([
    { field: 'manifest', filename: staged.manifestFile, bytes: staged.manifest },
    { field: 'archive', filename: staged.archiveFile, bytes: staged.archive },
  ]);
  return rfh.packages('POST', '/v1/packages', { contentType: form.contentType, bytes: form.body });
}

async function filesOf(tgz: Buffer): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c) => chunks.push(c as Buffer));
    stream.on('end', () => {
      files[header.name] = Buffer.concat(chunks).toString('utf8');
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  ex.end(gunzipSync(tgz));
  await done;
  return files;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const rule = { file: 'security.mdc', text: '---\ndescription: Security rules\n---\n# Security\n- Never commit secrets.\n' };

describe('the rfh journey against npm start', () => {
  let registerToken = '';
  let loginToken = '';
  let published = { sha256: '' };

  it('rfh auth register: 201 with a working login in the client\'s types; whoami right after', async () => {
    const res = await rfh.auth('POST', '/v1/auth/register', { username: 'alice', email: 'alice@example.com', password: 'alice-pass-1' });
    expect(res.status).toBe(201);
    const auth = decodeAs(authResponse, res, 'register');
    expect(auth.user).toMatchObject({ username: 'alice', email: 'alice@example.com', role: 'user' });
    registerToken = rfh.token = auth.token;
    const whoami = decodeAs(userProfile, await rfh.auth('GET', '/v1/auth/profile', undefined, rfh.token), 'profile');
    expect(whoami).toMatchObject({ id: auth.user.id, username: 'alice', role: 'user' });
  });

  it('rfh auth login: a new session with its own number', async () => {
    const res = await rfh.auth('POST', '/v1/auth/login', { username: 'alice', password: 'alice-pass-1' });
    expect(res.status).toBe(200);
    const auth = decodeAs(authResponse, res, 'login');
    expect(auth.token).not.toBe(registerToken);
    loginToken = rfh.token = auth.token;
    const wrong = await rfh.auth('POST', '/v1/auth/login', { username: 'alice', password: 'not her password' });
    expect(RfhClient.authError(wrong)).toBe('API error (401): Invalid credentials');
  });

  it('rfh auth logout: 200, then the token is refused; a stale saved token still reads public data', async () => {
    const out = await rfh.auth('POST', '/v1/auth/logout', undefined, loginToken);
    expect(out.status).toBe(200);
    const after = await rfh.auth('GET', '/v1/auth/profile', undefined, loginToken);
    expect(after.status).toBe(401);
    expect(RfhClient.authError(after)).toBe('API error (401): Invalid or expired token');
    // Package calls send whatever token is saved: a dead one must not fail public reads.
    expect((await rfh.packages('GET', RfhClient.searchPath({}))).status).toBe(200);
  });

  it('a publisher: root grants the role with the admin API, and it applies to the live session', async () => {
    const root = decodeAs(authResponse, await rfh.auth('POST', '/v1/auth/login', { username: 'root', password: ROOT_PASSWORD }), 'root login');
    const grant = await goRequest('PUT', `${server.url}/v1/admin/users/alice/role`, { Authorization: `Bearer ${root.token}`, 'Content-Type': 'application/json' }, Buffer.from('{"role":"publisher"}'));
    expect(grant.status).toBe(200);
    rfh.token = registerToken;
    expect(decodeAs(userProfile, await rfh.auth('GET', '/v1/auth/profile', undefined, rfh.token), 'profile').role).toBe('publisher');
  });

  it('rfh pack + rfh publish: 201, and the sha256 is that of the archive sent', async () => {
    const staged = await rfhPack('secure-rules', '1.0.0', rule);
    const res = await rfhPublish(staged);
    expect(res.status).toBe(201);
    published = decodeAs(publishResult, res, 'publish');
    expect(published).toMatchObject({ name: 'secure-rules', version: '1.0.0', sha256: sha256(staged.archive) });
  });

  it('publishing the same version again (packed anew) is refused with a message that names the conflict', async () => {
    const again = await rfhPack('secure-rules', '1.0.0', rule, new Date(Date.now() + 5_000));
    const res = await rfhPublish(again);
    expect(res.status).toBe(409);
    // The client prints `publish failed: status 409: <body>`: the body must read as a sentence.
    expect(decodeAs(errorBody, res, 'publish error').error).toMatch(/secure-rules@1\.0\.0 .*already/i);
  });

  it('rfh add: the version read gives a sha256 equal to the SHA-256 of the bytes /v1/blobs/{sha256} returns', async () => {
    const version = decodeAs(packageVersion, await rfh.packages('GET', RfhClient.versionPath('secure-rules', '1.0.0')), 'version');
    expect(version.sha256).toBe(published.sha256);
    const blob = await rfh.packages('GET', RfhClient.blobPath(version.sha256));
    expect(blob.status).toBe(200);
    expect(sha256(blob.body)).toBe(version.sha256);
    expect((await filesOf(blob.body))[rule.file]).toBe(rule.text);
    const missing = await rfh.packages('GET', RfhClient.versionPath('secure-rules', '9.9.9'));
    expect(missing.status).toBe(404);
  });

  it('a scoped package under your own name: published and read through unescaped two-segment paths', async () => {
    const staged = await rfhPack('@alice/style', '0.1.0', { file: 'style.md', text: '# Style\n- Prefer small functions.\n' });
    const res = await rfhPublish(staged);
    expect(res.status).toBe(201);
    const version = decodeAs(packageVersion, await rfh.packages('GET', RfhClient.versionPath('@alice/style', '0.1.0')), 'scoped version');
    expect(version).toMatchObject({ name: '@alice/style', version: '0.1.0', sha256: sha256(staged.archive) });
    const info = decodeAs(packageInfo, await rfh.packages('GET', RfhClient.packagePath('@alice/style')), 'scoped package');
    expect(info).toMatchObject({ name: '@alice/style', latest: '0.1.0', versions: ['0.1.0'] });
  });

  it('rfh search: rows give name, latest and versions as the client prints them', async () => {
    const staged = await rfhPack('secure-rules', '1.1.0', rule);
    expect((await rfhPublish(staged)).status).toBe(201);
    const rows = decodeAs(searchResults, await rfh.packages('GET', RfhClient.searchPath({ q: 'secure rules', limit: 10 })), 'search');
    const printed = rows.map((r) => `${r.name}@${r.latest} (${r.versions.join(', ')})`);
    expect(printed[0]).toBe('secure-rules@1.1.0 (1.1.0, 1.0.0)');
    const info = decodeAs(packageInfo, await rfh.packages('GET', RfhClient.packagePath('secure-rules')), 'package');
    expect(info).toMatchObject({ name: 'secure-rules', latest: '1.1.0', description: 'Package containing security.mdc' });
  });

  it("a publish over the route's limit gets the server's readable 413, not a connection reset", async () => {
    const big = { file: 'big.md', text: '' };
    const staged = await rfhPack('big-rules', '1.0.0', big);
    // Incompressible bytes as the archive part: the body is over the limit whatever gzip does.
    staged.archive = Buffer.concat([staged.archive, Buffer.from(Array.from({ length: 5 * 1024 * 1024 }, (_, i) => (i * 2654435761) >>> 24))]);
    const res = await rfhPublish(staged);
    expect(res.status).toBe(413);
    expect(decodeAs(errorBody, res, 'publish 413').error).toMatch(/too large.*limit.*\d+ bytes/i);
  });

  it('downloads follow a redirect to another host, without the Authorization header (as Go does)', async () => {
    const hop = http.createServer((req, res) => {
      res.writeHead(302, { Location: `${server.url}${req.url}` }).end();
    });
    await new Promise<void>((resolve) => hop.listen(0, 'localhost', resolve));
    try {
      const { port } = hop.address() as AddressInfo;
      const res = await goRequest('GET', `http://localhost:${port}${RfhClient.blobPath(published.sha256)}`, { Authorization: `Bearer ${rfh.token}` });
      expect(res.status).toBe(200);
      expect(res.visited).toHaveLength(2);
      expect(res.lastAuthorization).toBeUndefined();
      expect(sha256(res.body)).toBe(published.sha256);
    } finally {
      hop.close();
    }
  });
});
