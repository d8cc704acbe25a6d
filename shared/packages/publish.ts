import { createHash } from 'node:crypto';
import type { Principal } from '../auth/Principal.js';
import { badRequest } from '../errors.js';
import { parseWith } from '../http/validation.js';
import { ensureOwnScope } from '../registries/ownScope.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import { validateArchive } from './archiveValidator.js';
import { manifestSchema } from './manifest.js';
import { assertPublishableName } from './Package.js';
import { parsePublishForm } from './publishForm.js';

/**
 * Publishes name@version: every check first (form, manifest, archive contents, all in memory and
 * CPU only), then the archive to the blob store under its SHA-256, then the metadata in one SQL
 * transaction. A row therefore never points at a missing blob; a failed publish leaves at most
 * an unreferenced blob, which is harmless because blobs are content-addressed.
 */
export async function publish(deps: Dependencies, caller: Principal, body: Buffer, contentType: string | undefined, sourceIp: string) {
  const form = await parsePublishForm(body, contentType);
  let rawManifest: unknown;
  try {
    rawManifest = JSON.parse(form.manifest.toString('utf8'));
  } catch {
    throw badRequest('The manifest part is not valid JSON');
  }
  const manifest = parseWith(manifestSchema, rawManifest, 'manifest');
  assertPublishableName(manifest.name);
  await validateArchive(form.archive, { name: manifest.name, version: manifest.version });

  await ensureOwnScope(deps, caller, manifest.name, { actor: caller, sourceIp });
  const sha256 = createHash('sha256').update(form.archive).digest('hex');
  await deps.blobs.put(sha256, form.archive);
  const outcome = await deps.packages.publish({ manifest, rawManifest, sha256, sizeBytes: form.archive.length, publisher: caller, sourceIp });
  const v = outcome.version;
  return {
    status: outcome.created ? 201 : 200,
    body: { id: v.id, name: v.name, version: v.version, sha256: v.sha256, size: v.sizeBytes },
  };
}
