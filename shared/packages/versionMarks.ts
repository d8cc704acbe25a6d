import type { Decision } from '../auth/decision.js';
import type { Principal } from '../auth/Principal.js';
import type { AuditContext } from '../ports/RegistryRepo.js';
import type { Dependencies } from '../runtime/Dependencies.js';
import { versionBody } from './Package.js';
import { decideQuarantine, decideYank, type VersionMarkFacts } from './rights.js';
import type { VersionMark } from './VersionStatus.js';

type Rule = (actor: Principal, packageName: string, version: string, facts: VersionMarkFacts) => Decision;

const RULES: Record<VersionMark, Rule> = { yank: decideYank, quarantine: decideQuarantine };

/**
 * Puts a mark on a version (`reason` given) or lifts it (`reason` null), decided on the package row
 * as locked by the change, so a concurrent change of rights cannot slip in between. Idempotent;
 * answers the version as it now is.
 */
async function changeMark(deps: Dependencies, name: string, version: string, mark: VersionMark, reason: string | null, ctx: AuditContext) {
  const rule = RULES[mark];
  const v = await deps.packages.markVersion(name, version, { mark, reason }, ctx, (facts) => rule(ctx.actor, name, version, facts));
  return versionBody(v);
}

/** Yanks a version (decideYank): it leaves `latest` and search, and stays installable. */
export const yankVersion = (deps: Dependencies, name: string, version: string, reason: string, ctx: AuditContext) =>
  changeMark(deps, name, version, 'yank', reason, ctx);

/** Takes a yank back (decideYank). */
export const unyankVersion = (deps: Dependencies, name: string, version: string, ctx: AuditContext) =>
  changeMark(deps, name, version, 'yank', null, ctx);

/** Quarantines a version (decideQuarantine): as a yank, and its archive is no longer served to anyone. */
export const quarantineVersion = (deps: Dependencies, name: string, version: string, reason: string, ctx: AuditContext) =>
  changeMark(deps, name, version, 'quarantine', reason, ctx);

/** Releases a quarantined version (decideQuarantine). */
export const releaseVersion = (deps: Dependencies, name: string, version: string, ctx: AuditContext) =>
  changeMark(deps, name, version, 'quarantine', null, ctx);
