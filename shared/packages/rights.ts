import type { Principal } from '../auth/Principal.js';
import { ALLOWED, refused, type Decision } from '../auth/decision.js';
import { roleAtLeast, type Role } from '../auth/roles.js';
import { ApiError, forbidden, notFound } from '../errors.js';
import { DEFAULT_REGISTRY, registryOfPackage, type RegistryRole } from '../registries/Registry.js';
import { registryRoleMayPublish } from '../registries/rights.js';
import type { Visibility } from './Package.js';

// Who may publish a package, change its owners, and yank or quarantine its versions, as pure
// functions of facts. The repository reads the facts inside the transaction that records the
// change, under the row locks that keep them true until it commits (the registry row shared, the
// package row for update), and enforces the decision there (shared/auth/decision.ts); version
// immutability, equal-precedence versions and the last owner stay with the database.

/** A global admin signed in: an API token never carries admin powers, whoever created it. */
const actsAsAdmin = (p: Principal) => roleAtLeast(p.role, 'admin') && !p.apiToken;

/**
 * Whether roles let someone publish into a registry: the publisher role (or above) for `default`,
 * the registry of unscoped packages; the publisher or admin role in the registry for a scope.
 */
export function rolesMayPublish(registry: string, role: Role, registryRole: RegistryRole | null): boolean {
  return registry === DEFAULT_REGISTRY ? roleAtLeast(role, 'publisher') : registryRoleMayPublish(registryRole);
}

/** What a publish is decided on. */
export interface PublishFacts {
  /** The registry the package's scope names (`default` without one); null when there is none. */
  registry: { visibility: Visibility; publisherRole: RegistryRole | null } | null;
  /** The package; null while it does not exist (its first publisher becomes its owner). */
  package: { publisherIsOwner: boolean } | null;
}

/**
 * Who may publish where: unscoped packages need the publisher role; `@scope/...` needs the
 * publisher or admin role in registry `scope` (or a global admin). An API token publishes only
 * into its own registry, and only while its creator still has those rights. Someone who may not
 * see a private registry is told it does not exist. A package that exists takes new versions
 * from its owners and global admins only.
 */
export function decidePublish(publisher: Principal, packageName: string, facts: PublishFacts): Decision {
  const name = registryOfPackage(packageName);
  const { registry } = facts;
  if (!registry || (registry.visibility === 'private' && !registry.publisherRole && !actsAsAdmin(publisher))) {
    return refused(notFound(`Registry "${name}" does not exist; create it first with POST /v1/registries`));
  }
  if (publisher.apiToken && publisher.apiToken.registry !== name) {
    return refused(forbidden(`This API token can only publish into registry "${publisher.apiToken.registry}"`));
  }
  if (!rolesMayPublish(name, publisher.role, registry.publisherRole) && !actsAsAdmin(publisher)) {
    return refused(
      forbidden(
        name === DEFAULT_REGISTRY
          ? 'Publishing unscoped packages needs the publisher role'
          : `Publishing into registry "${name}" needs the publisher or admin role in it`,
      ),
    );
  }
  if (facts.package && !facts.package.publisherIsOwner && !actsAsAdmin(publisher)) {
    return refused(forbidden(`You are not an owner of ${packageName}; ask an owner to add you`));
  }
  return ALLOWED;
}

/** What a change of a package's owners is decided on. */
export interface OwnerChangeFacts {
  /** The package; null when there is none of that name. */
  package: {
    registry: string;
    /** Whether the actor may see the package's registry (as every read decides it: shared/registries/Viewer.ts). */
    visibleToActor: boolean;
    actorIsOwner: boolean;
    /** The actor's role in the package's registry; null for none. */
    actorRegistryRole: RegistryRole | null;
  } | null;
}

/** What adding an owner is decided on: the change, and the account to add. */
export interface OwnerAdditionFacts extends OwnerChangeFacts {
  /** The account of that username; null when there is none. `registryRole`: its role in the package's registry. */
  candidate: { username: string; role: Role; active: boolean; registryRole: RegistryRole | null } | null;
}

/**
 * Whether the actor has a say over a package, with their rights as they are now: a global admin;
 * an admin of the package's (scoped) registry; or an owner who may still publish there.
 */
function maintains(actor: Principal, pkg: NonNullable<OwnerChangeFacts['package']>): boolean {
  return (
    actsAsAdmin(actor) ||
    (pkg.registry !== DEFAULT_REGISTRY && pkg.actorRegistryRole === 'admin') ||
    (pkg.actorIsOwner && rolesMayPublish(pkg.registry, actor.role, pkg.actorRegistryRole))
  );
}

/**
 * Who may change a package's owners, with their rights as they are now: a global admin; an admin
 * of the package's registry; or an owner who may still publish there. An owner removed from a
 * registry has no say over its packages any more. A package the actor may not see does not exist.
 */
export function decideOwnerChange(actor: Principal, packageName: string, facts: OwnerChangeFacts): Decision {
  const pkg = facts.package;
  if (!pkg?.visibleToActor) return refused(notFound(`Package ${packageName} not found`));
  if (!maintains(actor, pkg)) {
    return refused(
      forbidden(
        pkg.actorIsOwner
          ? `You no longer have publishing rights in registry "${pkg.registry}", so you cannot change the owners of ${packageName}`
          : `Only owners of ${packageName}, admins of its registry or admins can change its owners`,
      ),
    );
  }
  return ALLOWED;
}

/**
 * Adding an owner: the change must be the actor's to make, and the new owner an active account
 * that may publish the package (owning it would mean nothing otherwise).
 */
export function decideOwnerAddition(actor: Principal, packageName: string, username: string, facts: OwnerAdditionFacts): Decision {
  const change = decideOwnerChange(actor, packageName, facts);
  if (!change.allowed || !facts.package) return change;
  const { registry } = facts.package;
  const user = facts.candidate;
  if (!user?.active) return refused(notFound(`User ${username} not found`));
  if (!rolesMayPublish(registry, user.role, user.registryRole)) {
    return refused(
      new ApiError(
        400,
        registry === DEFAULT_REGISTRY
          ? `${user.username} cannot own packages: an owner must have the publisher role or above`
          : `${user.username} cannot own ${packageName}: an owner must have the publisher or admin role in registry "${registry}"`,
      ),
    );
  }
  return ALLOWED;
}

/** What yanking or quarantining a version (or lifting either) is decided on. */
export interface VersionMarkFacts extends OwnerChangeFacts {
  /** Whether the package has that version. */
  versionExists: boolean;
}

/** A package the actor may not see, or a version it does not have, does not exist (404). */
const versionNotFound = (packageName: string, version: string, facts: VersionMarkFacts) =>
  refused(notFound(facts.package?.visibleToActor ? `Version ${packageName}@${version} not found` : `Package ${packageName} not found`));

/**
 * Who may yank a version or take a yank back: whoever may change the package's owners (a global
 * admin, an admin of its registry, an owner who may still publish there). Withdrawing a version
 * is theirs to decide as much as who maintains it.
 */
export function decideYank(actor: Principal, packageName: string, version: string, facts: VersionMarkFacts): Decision {
  const pkg = facts.package;
  if (!pkg?.visibleToActor || !facts.versionExists) return versionNotFound(packageName, version, facts);
  if (!maintains(actor, pkg)) {
    return refused(
      forbidden(
        pkg.actorIsOwner
          ? `You no longer have publishing rights in registry "${pkg.registry}", so you cannot yank versions of ${packageName}`
          : `Only owners of ${packageName}, admins of its registry or admins can yank its versions`,
      ),
    );
  }
  return ALLOWED;
}

/**
 * Who may quarantine a version or release it: global admins only (signed in, never through an
 * API token). It overrides the owners, who may be the ones who leaked what it holds.
 */
export function decideQuarantine(actor: Principal, packageName: string, version: string, facts: VersionMarkFacts): Decision {
  if (!facts.package?.visibleToActor || !facts.versionExists) return versionNotFound(packageName, version, facts);
  if (!actsAsAdmin(actor)) return refused(forbidden('Only admins can quarantine versions or release them'));
  return ALLOWED;
}
