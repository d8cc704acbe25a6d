import { StoreUnavailableError } from '../../errors.js';

// SQLSTATE classes that mean "the database could not do it now", not "your statement is wrong":
// connection exceptions (08), insufficient resources (53), operator intervention (57: shutdown,
// statement timeout), serialization failure and deadlock (40001, 40P01).
const UNAVAILABLE_STATES = /^(08|53|57|58)|^40001$|^40P01$/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const NETWORK_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i;

/** Turns driver failures that mean "PostgreSQL is unavailable" into StoreUnavailableError. */
export function toStoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (UNAVAILABLE_STATES.test(code) || NETWORK_CODES.has(code))) {
    return new StoreUnavailableError('postgres', err);
  }
  if (err instanceof Error && NETWORK_MESSAGES.test(err.message)) {
    return new StoreUnavailableError('postgres', err);
  }
  return err;
}
