import { StoreUnavailableError } from '../../errors.js';

// SQLSTATE classes that mean "the database could not do it now", not "your statement is wrong":
// connection exceptions (08), insufficient resources (53), operator intervention (57: shutdown,
// statement timeout), serialization failure and deadlock (40001, 40P01).
const UNAVAILABLE_STATES = /^(08|53|57|58)|^40001$|^40P01$/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres's own messages for a connection that failed, could not be made in time, or whose
// statement got no answer within query_timeout ("Query read timeout").
const NETWORK_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|Query read timeout/i;
const LOST_CONNECTION_MESSAGES = /Connection terminated|Client has encountered a connection error|Connection ended unexpectedly|Query read timeout/i;

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

/**
 * Whether a statement's failure leaves its connection unusable: the connection broke, or the
 * statement got no answer in time and is still pending on it. Such a connection must be discarded
 * without sending anything more on it (not even ROLLBACK).
 */
export function connectionLost(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return err instanceof Error && LOST_CONNECTION_MESSAGES.test(err.message);
}
