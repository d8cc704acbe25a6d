import { describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/auth/Principal.js';
import { decideQuarantine, decideYank, type VersionMarkFacts } from '../../shared/packages/rights.js';
import type { RegistryRole } from '../../shared/registries/Registry.js';
import { admin, person, publisher, refusal, root, user, verdict } from '../support/rightsFixtures.js';

// Who may yank and quarantine versions, as tables of facts and decisions. The repository reads the
// facts under the package row lock and enforces the decision (test/integration/versionMarks.test.ts).

const facts = (registry: string, actorIsOwner: boolean, actorRegistryRole: RegistryRole | null = null, visibleToActor = true, versionExists = true): VersionMarkFacts => ({
  package: { registry, visibleToActor, actorIsOwner, actorRegistryRole },
  versionExists,
});
const noPackage = (name: string) => refusal(404, `Package ${name} not found`);
const noVersion = (name: string) => refusal(404, `Version ${name}@1.0.0 not found`);

describe('decideYank', () => {
  const noLonger = (registry: string, name: string) =>
    refusal(403, `You no longer have publishing rights in registry "${registry}", so you cannot yank versions of ${name}`);
  const onlyMaintainers = (name: string) => refusal(403, `Only owners of ${name}, admins of its registry or admins can yank its versions`);

  it.each<[string, Principal, string, VersionMarkFacts, ReturnType<typeof verdict>]>([
    ['no such package', admin, 'pkg', { package: null, versionExists: false }, noPackage('pkg')],
    ['a package the actor may not see', publisher, '@vault/x', facts('vault', false, null, false, true), noPackage('@vault/x')],
    ['a private package\'s owner who lost sight of it: not found, not forbidden', publisher, '@vault/x', facts('vault', true, null, false), noPackage('@vault/x')],
    ['no such version, for its owner', publisher, 'pkg', facts('default', true, null, true, false), noVersion('pkg')],
    ['no such version, for a stranger: the versions are public anyway', publisher, 'pkg', facts('default', false, null, true, false), noVersion('pkg')],
    ['an owner with the publisher role', publisher, 'pkg', facts('default', true), 'allowed'],
    ['an owner demoted to user', user, 'pkg', facts('default', true), noLonger('default', 'pkg')],
    ['a publisher who does not own it', publisher, 'pkg', facts('default', false), onlyMaintainers('pkg')],
    ['a user who does not own it', user, 'pkg', facts('default', false), onlyMaintainers('pkg')],
    ['a global admin', admin, 'pkg', facts('default', false), 'allowed'],
    ['root', root, 'pkg', facts('default', false), 'allowed'],
    ['an admin through an API token', person('admin', 'default'), 'pkg', facts('default', false), onlyMaintainers('pkg')],
    ['an admin member of the default registry: it has no registry admins', user, 'pkg', facts('default', false, 'admin'), onlyMaintainers('pkg')],
    ['the scope\'s admin, not an owner', user, '@acme/x', facts('acme', false, 'admin'), 'allowed'],
    ['the scope\'s publisher, not an owner', publisher, '@acme/x', facts('acme', false, 'publisher'), onlyMaintainers('@acme/x')],
    ['an owner with the publisher role in the scope', user, '@acme/x', facts('acme', true, 'publisher'), 'allowed'],
    ['an owner demoted to reader in the scope', publisher, '@acme/x', facts('acme', true, 'reader'), noLonger('acme', '@acme/x')],
    ['an owner removed from the scope', publisher, '@acme/x', facts('acme', true, null), noLonger('acme', '@acme/x')],
    ['a private registry\'s admin', user, '@vault/x', facts('vault', false, 'admin'), 'allowed'],
  ])('%s', (_case, actor, name, f, expected) => {
    expect(verdict(decideYank(actor, name, '1.0.0', f))).toEqual(expected);
  });
});

describe('decideQuarantine', () => {
  const adminsOnly = refusal(403, 'Only admins can quarantine versions or release them');

  it.each<[string, Principal, string, VersionMarkFacts, ReturnType<typeof verdict>]>([
    ['a global admin', admin, 'pkg', facts('default', false), 'allowed'],
    ['root', root, '@vault/x', facts('vault', false), 'allowed'],
    ['a global admin, no such package', admin, 'pkg', { package: null, versionExists: false }, noPackage('pkg')],
    ['a global admin, no such version', admin, 'pkg', facts('default', false, null, true, false), noVersion('pkg')],
    ['an owner: a quarantine overrides the owners', publisher, 'pkg', facts('default', true), adminsOnly],
    ['the scope\'s admin', user, '@acme/x', facts('acme', true, 'admin'), adminsOnly],
    ['an admin through an API token', person('admin', 'default'), 'pkg', facts('default', false), adminsOnly],
    ['a stranger to a private registry', publisher, '@vault/x', facts('vault', false, null, false), noPackage('@vault/x')],
  ])('%s', (_case, actor, name, f, expected) => {
    expect(verdict(decideQuarantine(actor, name, '1.0.0', f))).toEqual(expected);
  });
});
