import * as z from 'zod/mini';
import { FLAG_RULES, type FlagRuleId } from '../safety/rules.js';

export const REGISTRY_ROLES = ['reader', 'publisher', 'admin'] as const;
export type RegistryRole = (typeof REGISTRY_ROLES)[number];
export const DEFAULT_REGISTRY = 'default';

export const REGISTRY_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const registryName = z
  .string({ error: 'must be a string' })
  .check(z.regex(REGISTRY_NAME_PATTERN, 'must be 1 to 64 lower-case letters, digits, "-" or "_", starting with a letter or digit'));

const description = z.string({ error: 'must be a string' }).check(z.maxLength(1000, 'must be at most 1000 characters'));
const visibility = z.enum(['public', 'private'], { error: 'must be "public" or "private"' });

export const createRegistryRequest = z.object({
  name: registryName.check(z.refine((n) => n !== DEFAULT_REGISTRY, 'is reserved')),
  description: z._default(z.optional(description), ''),
  visibility: z._default(z.optional(visibility), 'public'),
});

/** Generous for a list of at most FLAG_RULES.length distinct ids, so a repeated id is no error. */
const SAFETY_REFUSE_MAX_ENTRIES = 64;

/**
 * A registry's safety policy: the rule scanner's flag rules whose findings it refuses at publish
 * (refusing rules are refused everywhere). Duplicates are dropped, and the order is FLAG_RULES'.
 */
const safetyPolicy = z.object({
  refuse: z.pipe(
    z
      .array(z.enum(FLAG_RULES, { error: `must be flag rule ids, each one of ${FLAG_RULES.join(', ')}` }), { error: 'must be a list of flag rule ids' })
      .check(z.maxLength(SAFETY_REFUSE_MAX_ENTRIES, `must have at most ${SAFETY_REFUSE_MAX_ENTRIES} entries`)),
    z.transform((ids: FlagRuleId[]) => FLAG_RULES.filter((rule) => ids.includes(rule))),
  ),
});

export const updateRegistryRequest = z
  .object({ description: z.optional(description), visibility: z.optional(visibility), safety: z.optional(safetyPolicy) })
  .check(
    z.refine((b) => b.description !== undefined || b.visibility !== undefined || b.safety !== undefined, 'give description, visibility and/or safety'),
  );

export const memberRequest = z.object({
  role: z.enum(REGISTRY_ROLES, { error: 'must be one of reader, publisher, admin' }),
});

export const TOKEN_MAX_DAYS = 365;
export const createTokenRequest = z.object({
  name: z.string({ error: 'must be a string' }).check(
    z.trim(),
    z.minLength(1, 'is required'),
    z.maxLength(100, 'must be at most 100 characters'),
    // A label shown in one line of a list: no line breaks, tabs or other control characters.
    z.regex(/^[^\u0000-\u001F\u007F]*$/, 'must not contain control characters (line breaks, tabs, NUL)'),
  ),
  scopes: z.pipe(
    z
      .array(z.enum(['read', 'publish'], { error: 'must be "read" or "publish"' }), { error: 'must be a list' })
      .check(z.minLength(1, 'must name at least one scope'), z.maxLength(2, 'must name at most two scopes')),
    z.transform((s: Array<'read' | 'publish'>) => [...new Set(s)]),
  ),
  expires_in_days: z._default(
    z.optional(
      z.pipe(
        z.coerce.number({ error: 'must be a number' }),
        z.int({ error: 'must be a whole number' }).check(z.minimum(1, 'must be at least 1'), z.maximum(TOKEN_MAX_DAYS, `must be at most ${TOKEN_MAX_DAYS}`)),
      ),
    ),
    90,
  ),
});

export type CreateRegistryRequest = z.output<typeof createRegistryRequest>;
export type UpdateRegistryRequest = z.output<typeof updateRegistryRequest>;
export type CreateTokenRequest = z.output<typeof createTokenRequest>;

/** The registry a package lives in: its scope, or `default` for unscoped names. */
export function registryOfPackage(packageName: string): string {
  return packageName.startsWith('@') ? packageName.slice(1, packageName.indexOf('/')) : DEFAULT_REGISTRY;
}

export interface RegistryRecord {
  id: number;
  name: string;
  description: string;
  visibility: 'public' | 'private';
  configVersion: number;
  /** The flag rules of the rule scanner whose findings this registry refuses at publish. */
  refusedFlagRules: string[];
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const registryEtag = (r: Pick<RegistryRecord, 'configVersion'>) => `"v${r.configVersion}"`;

export function registryBody(r: RegistryRecord, viewerRole: RegistryRole | null) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    visibility: r.visibility,
    config_version: r.configVersion,
    safety: { refuse: r.refusedFlagRules },
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
    your_role: viewerRole,
  };
}
