import { createHash } from 'node:crypto';
import type { Principal } from '../auth/Principal.js';
import type { Authorize } from '../auth/decision.js';
import { badRequest } from '../errors.js';
import { parseWith } from '../validation.js';
import { logger } from '../observability/telemetry.js';
import type { PublishOutcome } from '../ports/PackageRepo.js';
import { ensureOwnScope } from '../registries/ownScope.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import { validateArchive } from './archiveValidator.js';
import { claimsOf, manifestSchema } from './manifest.js';
import { assertPublishableName } from './Package.js';
import { parsePublishForm } from './publishForm.js';
import { admitFindings, scanPackage } from './ruleSafety.js';
import { SCANNER_VERSION } from '../safety/ruleScanner.js';
import { decidePublish, type PublishFacts } from './rights.js';

/**
 * Publishes name@version: every check first (form, manifest, archive contents and what the rule
 * scanner finds in them, all in memory and CPU only; then the publisher's rights, the version's
 * absence and the registry's safety policy, one SQL read), and only then
 * the archive, under a staging name. The metadata is written in one SQL transaction that decides
 * the rights again (decidePublish, on the rows as locked there: races) and, as its last step
 * before the commit, promotes the staged archive to its content address: a row never points at a missing blob, and a refused or failed publish
 * leaves no content-addressed blob, only staged data that the blob store sweeps after a day. (A
 * failure of the COMMIT itself, after the promotion, can leave an unreferenced content-addressed
 * blob: harmless, and never swept, because a publish of the same bytes may reference it.)
 * The staged copy is removed before the answer.
 */
export async function publish(deps: Dependencies, caller: Principal, body: Buffer, contentType: string | undefined, sourceIp: string) {
  const form = await parsePublishForm(body, contentType);
  let rawManifest: unknown;
  try {
    rawManifest = JSON.parse(form.manifest.toString('utf8'));
  } catch {
    throw badRequest('The manifest part is not valid JSON');
  }
  const stated = parseWith(manifestSchema, rawManifest, 'manifest');
  assertPublishableName(stated.name);
  // The archive's own rulestack.json is what rfh installs, so it is what gets stored and shown;
  // every field the form states must agree with it (refused, never silently resolved).
  const { manifest, files } = await validateArchive(form.archive, claimsOf(stated, rawManifest));
  // What a reviewer cannot see but an agent reads, and credentials: CPU only, before any store.
  const findings = scanPackage(files);

  await ensureOwnScope(deps, caller, manifest.name, { actor: caller, sourceIp });
  const sha256 = createHash('sha256').update(form.archive).digest('hex');
  const authorize: Authorize<PublishFacts> = (facts) => decidePublish(caller, manifest.name, facts);
  const policy = await deps.packages.checkPublish({ name: manifest.name, version: manifest.version, sha256, publisher: caller, authorize });
  // An identical retry answers as the first publish did, whatever the policy has become since.
  if (!policy.alreadyPublished) admitFindings(findings, policy.refusedFlagRules);
  const staged = await deps.blobWrites.stage(sha256, form.archive);
  let outcome: PublishOutcome;
  try {
    outcome = await deps.packages.publish({
      manifest, rawManifest: manifest, sha256, sizeBytes: form.archive.length, files, publisher: caller, sourceIp, authorize,
      safety: { scannerVersion: SCANNER_VERSION, admit: (refusedFlagRules) => admitFindings(findings, refusedFlagRules) },
      beforeCommit: () => staged.promote(),
    });
  } finally {
    await staged.discard().catch((err: unknown) => logger.warn('staged archive not removed (swept later)', { error: String(err) }));
  }
  const v = outcome.version;
  return {
    status: outcome.created ? 201 : 200,
    body: { id: v.id, name: v.name, version: v.version, sha256: v.sha256, size: v.sizeBytes },
  };
}
