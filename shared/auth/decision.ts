import type { ApiError } from '../errors.js';

/**
 * What a rights rule says about an action: allowed, or refused with the error the caller is
 * answered with. Rules are pure functions of facts (shared/packages/rights.ts,
 * shared/registries/rights.ts); whoever holds the facts enforces the decision.
 */
export type Decision = { allowed: true } | { allowed: false; error: ApiError };

export const ALLOWED: Decision = { allowed: true };

export const refused = (error: ApiError): Decision => ({ allowed: false, error });

/**
 * The rule a use case hands a repository: the repository reads the facts inside its transaction,
 * under the row locks that keep them true until the commit, and enforces the decision there.
 */
export type Authorize<Facts> = (facts: Facts) => Decision;

/** Throws the refusal (inside a transaction, that rolls it back). */
export function enforce(decision: Decision): void {
  if (!decision.allowed) throw decision.error;
}
