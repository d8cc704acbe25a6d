import { describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/auth/Principal.js';
import type { Role } from '../../shared/auth/roles.js';
import {
  decideOwnerAddition,
  decideOwnerChange,
  decidePublish,
  type OwnerAdditionFacts,
  type OwnerChangeFacts,
  type PublishFacts,
} from '../../shared/packages/rights.js';
import type { RegistryRole } from '../../shared/registries/Registry.js';
import { decideRegistryCreation, decideTokenCreation, registryRoleMayPublish, type TokenCreationFacts } from '../../shared/registries/rights.js';
import { admin, person, publisher, refusal, root, user, verdict } from '../support/rightsFixtures.js';

// The rights rules as pure functions: facts in, a decision out. The repositories read the facts
// under their row locks and enforce the decision (test/integration covers that part).

const registry = (visibility: 'public' | 'private', publisherRole: RegistryRole | null = null): PublishFacts['registry'] => ({ visibility, publisherRole });
const owned = { publisherIsOwner: true };
const notOwned = { publisherIsOwner: false };

describe('decidePublish', () => {
  const missing = (name: string) => refusal(404, `Registry "${name}" does not exist; create it first with POST /v1/registries`);
  const needsPublisher = refusal(403, 'Publishing unscoped packages needs the publisher role');
  const needsRoleIn = (name: string) => refusal(403, `Publishing into registry "${name}" needs the publisher or admin role in it`);
  const notOwner = (name: string) => refusal(403, `You are not an owner of ${name}; ask an owner to add you`);
  const tokenOnlyInto = (name: string) => refusal(403, `This API token can only publish into registry "${name}"`);

  it.each<[string, Principal, string, PublishFacts, ReturnType<typeof verdict>]>([
    ['a publisher, a new unscoped package', publisher, 'pkg', { registry: registry('public'), package: null }, 'allowed'],
    ['an owner, a new version', publisher, 'pkg', { registry: registry('public'), package: owned }, 'allowed'],
    ['root, a new unscoped package', root, 'pkg', { registry: registry('public'), package: null }, 'allowed'],
    ['a user without the publisher role', user, 'pkg', { registry: registry('public'), package: null }, needsPublisher],
    ['a user, even as an owner', user, 'pkg', { registry: registry('public'), package: owned }, needsPublisher],
    ['a publisher who does not own the package', publisher, 'pkg', { registry: registry('public'), package: notOwned }, notOwner('pkg')],
    ['a global admin who does not own the package', admin, 'pkg', { registry: registry('public'), package: notOwned }, 'allowed'],
    ['an admin\'s API token, not an owner: tokens carry no admin powers', person('admin', 'default'), 'pkg', { registry: registry('public'), package: notOwned }, notOwner('pkg')],
    ['a publisher\'s token for the default registry', person('publisher', 'default'), 'pkg', { registry: registry('public'), package: owned }, 'allowed'],
    ['a token of another registry', person('publisher', 'acme'), 'pkg', { registry: registry('public'), package: owned }, tokenOnlyInto('acme')],
    ['a registry that does not exist', publisher, '@nowhere/x', { registry: null, package: null }, missing('nowhere')],
    ['a global admin, a registry that does not exist', admin, '@nowhere/x', { registry: null, package: null }, missing('nowhere')],
    ['a private registry, not a member', publisher, '@vault/x', { registry: registry('private'), package: null }, missing('vault')],
    ['a private registry, not a member, not an owner: the registry is not seen', publisher, '@vault/x', { registry: registry('private'), package: notOwned }, missing('vault')],
    ['a private registry, its reader', publisher, '@vault/x', { registry: registry('private', 'reader'), package: null }, needsRoleIn('vault')],
    ['a private registry, its publisher', user, '@vault/x', { registry: registry('private', 'publisher'), package: null }, 'allowed'],
    ['a private registry, a global admin who is no member', admin, '@vault/x', { registry: registry('private'), package: null }, 'allowed'],
    ['a private registry, an admin\'s token who is no member', person('admin', 'vault'), '@vault/x', { registry: registry('private'), package: null }, missing('vault')],
    ['a scope, a global publisher without a role in it', publisher, '@acme/x', { registry: registry('public'), package: null }, needsRoleIn('acme')],
    ['a scope, its reader', publisher, '@acme/x', { registry: registry('public', 'reader'), package: null }, needsRoleIn('acme')],
    ['a scope, its admin', user, '@acme/x', { registry: registry('public', 'admin'), package: null }, 'allowed'],
    ['a scope, its publisher, not an owner', publisher, '@acme/x', { registry: registry('public', 'publisher'), package: notOwned }, notOwner('@acme/x')],
    ['a scope, its publisher\'s token for it', person('user', 'acme'), '@acme/x', { registry: registry('public', 'publisher'), package: owned }, 'allowed'],
    ['a scope, its reader\'s token for it', person('publisher', 'acme'), '@acme/x', { registry: registry('public', 'reader'), package: owned }, needsRoleIn('acme')],
    ['a scope, a token for another one', person('publisher', 'other'), '@acme/x', { registry: registry('public', 'publisher'), package: owned }, tokenOnlyInto('other')],
    ['a scope, a global admin without a role in it', admin, '@acme/x', { registry: registry('public'), package: notOwned }, 'allowed'],
    ['a scope, an admin\'s token without a role in it', person('admin', 'acme'), '@acme/x', { registry: registry('public'), package: null }, needsRoleIn('acme')],
  ])('%s', (_case, who, name, facts, expected) => {
    expect(verdict(decidePublish(who, name, facts))).toEqual(expected);
  });
});

describe('decideOwnerChange and decideOwnerAddition', () => {
  const pkg = (registry: string, actorIsOwner: boolean, actorRegistryRole: RegistryRole | null = null, visibleToActor = true): OwnerChangeFacts => ({
    package: { registry, visibleToActor, actorIsOwner, actorRegistryRole },
  });
  const notFound = (name: string) => refusal(404, `Package ${name} not found`);
  const noLonger = (registry: string, name: string) =>
    refusal(403, `You no longer have publishing rights in registry "${registry}", so you cannot change the owners of ${name}`);
  const onlyOwners = (name: string) => refusal(403, `Only owners of ${name}, admins of its registry or admins can change its owners`);

  it.each<[string, Principal, string, OwnerChangeFacts, ReturnType<typeof verdict>]>([
    ['no such package', admin, 'pkg', { package: null }, notFound('pkg')],
    ['a package the actor may not see', publisher, '@vault/x', pkg('vault', false, null, false), notFound('@vault/x')],
    ['an owner with the publisher role', publisher, 'pkg', pkg('default', true), 'allowed'],
    ['an owner demoted to user', user, 'pkg', pkg('default', true), noLonger('default', 'pkg')],
    ['a publisher who does not own it', publisher, 'pkg', pkg('default', false), onlyOwners('pkg')],
    ['a global admin who does not own it', admin, 'pkg', pkg('default', false), 'allowed'],
    ['root', root, 'pkg', pkg('default', false), 'allowed'],
    ['an admin through an API token', person('admin', 'default'), 'pkg', pkg('default', false), onlyOwners('pkg')],
    ['an owner with the publisher role in the scope', user, '@acme/x', pkg('acme', true, 'publisher'), 'allowed'],
    ['an owner who is the scope\'s admin', user, '@acme/x', pkg('acme', true, 'admin'), 'allowed'],
    ['an owner demoted to reader in the scope', publisher, '@acme/x', pkg('acme', true, 'reader'), noLonger('acme', '@acme/x')],
    ['an owner removed from the scope', publisher, '@acme/x', pkg('acme', true, null), noLonger('acme', '@acme/x')],
    ['the scope\'s admin, not an owner', user, '@acme/x', pkg('acme', false, 'admin'), 'allowed'],
    ['the scope\'s publisher, not an owner', publisher, '@acme/x', pkg('acme', false, 'publisher'), onlyOwners('@acme/x')],
    ['a global admin, no role in the scope', admin, '@acme/x', pkg('acme', false, null), 'allowed'],
  ])('a change: %s', (_case, actor, name, facts, expected) => {
    expect(verdict(decideOwnerChange(actor, name, facts))).toEqual(expected);
  });

  const candidate = (role: Role, registryRole: RegistryRole | null = null, active = true): OwnerAdditionFacts['candidate'] => ({
    username: 'ben',
    role,
    active,
    registryRole,
  });
  const cannotOwnUnscoped = refusal(400, 'ben cannot own packages: an owner must have the publisher role or above');
  const cannotOwnScoped = refusal(400, 'ben cannot own @acme/x: an owner must have the publisher or admin role in registry "acme"');

  it.each<[string, Principal, string, OwnerAdditionFacts, ReturnType<typeof verdict>]>([
    ['the change refused comes first', publisher, 'pkg', { ...pkg('default', false), candidate: null }, onlyOwners('pkg')],
    ['no such package, whoever is named', admin, 'pkg', { package: null, candidate: null }, notFound('pkg')],
    ['no such account', publisher, 'pkg', { ...pkg('default', true), candidate: null }, refusal(404, 'User BEN not found')],
    ['a deactivated account', publisher, 'pkg', { ...pkg('default', true), candidate: candidate('publisher', null, false) }, refusal(404, 'User BEN not found')],
    ['a publisher, unscoped', publisher, 'pkg', { ...pkg('default', true), candidate: candidate('publisher') }, 'allowed'],
    ['an admin, unscoped', publisher, 'pkg', { ...pkg('default', true), candidate: candidate('admin') }, 'allowed'],
    ['a user, unscoped', publisher, 'pkg', { ...pkg('default', true), candidate: candidate('user') }, cannotOwnUnscoped],
    ['the scope\'s publisher', user, '@acme/x', { ...pkg('acme', true, 'admin'), candidate: candidate('user', 'publisher') }, 'allowed'],
    ['the scope\'s admin', user, '@acme/x', { ...pkg('acme', true, 'admin'), candidate: candidate('user', 'admin') }, 'allowed'],
    ['the scope\'s reader', user, '@acme/x', { ...pkg('acme', true, 'admin'), candidate: candidate('publisher', 'reader') }, cannotOwnScoped],
    ['a global admin without a role in the scope', user, '@acme/x', { ...pkg('acme', true, 'admin'), candidate: candidate('admin') }, cannotOwnScoped],
  ])('an addition: %s', (_case, actor, name, facts, expected) => {
    expect(verdict(decideOwnerAddition(actor, name, 'BEN', facts))).toEqual(expected);
  });
});

describe('registry rights', () => {
  it.each([
    [0, 'allowed'],
    [2, 'allowed'],
    [3, refusal(403, 'You have reached the limit of 3 registries per user')],
    [5, refusal(403, 'You have reached the limit of 3 registries per user')],
  ] as const)('a creator of %i registries, a cap of 3', (createdByCreator, expected) => {
    expect(verdict(decideRegistryCreation(3, { createdByCreator }))).toEqual(expected);
  });

  const gone = refusal(403, 'Your account can no longer create tokens');
  const needsPublishRole = refusal(403, 'A publish token needs the publisher or admin role in this registry');
  const membersOnly = refusal(403, 'Only members of this registry can create tokens for it');
  const facts = (visibility: 'public' | 'private', creatorRole: RegistryRole | null, creatorActive = true): TokenCreationFacts => ({
    visibility,
    creatorRole,
    creatorActive,
  });

  it.each<[string, Array<'read' | 'publish'>, TokenCreationFacts | null, ReturnType<typeof verdict>]>([
    ['the account or registry is gone', ['read'], null, gone],
    ['a deactivated account, before anything else', ['read', 'publish'], facts('private', null, false), gone],
    ['read, a public registry, no role', ['read'], facts('public', null), 'allowed'],
    ['read, a private registry, no role', ['read'], facts('private', null), membersOnly],
    ['read, a private registry, its reader', ['read'], facts('private', 'reader'), 'allowed'],
    ['publish, its reader', ['read', 'publish'], facts('public', 'reader'), needsPublishRole],
    ['publish, no role in a private registry: the scope is named first', ['publish'], facts('private', null), needsPublishRole],
    ['publish, its publisher', ['publish'], facts('private', 'publisher'), 'allowed'],
    ['publish, its admin', ['read', 'publish'], facts('public', 'admin'), 'allowed'],
  ])('a token: %s', (_case, scopes, f, expected) => {
    expect(verdict(decideTokenCreation(scopes, f))).toEqual(expected);
  });

  it('lets publishers and admins of a registry publish there', () => {
    expect([null, 'reader', 'publisher', 'admin'].map((r) => registryRoleMayPublish(r as RegistryRole | null))).toEqual([false, false, true, true]);
  });
});
