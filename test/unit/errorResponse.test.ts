import { describe, expect, it } from 'vitest';
import { ApiError, StoreUnavailableError } from '../../shared/errors.js';
import { errorToResponse } from '../../shared/http/errorResponse.js';

/** A driver error as node-postgres, PGlite and the Data API adapter raise it: a message and a SQLSTATE. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('errorToResponse', () => {
  it.each([
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['22P05', 'unsupported Unicode escape sequence'],
    ['54000', 'tsquery is too complex'],
    ['54001', 'stack depth limit exceeded'],
  ])('answers SQLSTATE %s (a value the database refuses) with 400 JSON, not 500', (code, message) => {
    const r = errorToResponse(pgError(code, message));
    expect(r.statusCode).toBe(400);
    const body = JSON.parse(r.body!);
    expect(typeof body.error).toBe('string');
    // The database's own wording stays in the log.
    expect(body.error).not.toContain(message);
  });

  it('keeps ApiError, store outages and bugs as they were', () => {
    expect(errorToResponse(new ApiError(409, 'taken')).statusCode).toBe(409);
    expect(errorToResponse(new StoreUnavailableError('postgres')).statusCode).toBe(503);
    expect(errorToResponse(pgError('42P01', 'relation does not exist')).statusCode).toBe(500);
    expect(errorToResponse(Object.assign(new Error('x'), { code: 'constructor' })).statusCode).toBe(500);
    expect(errorToResponse(null).statusCode).toBe(500);
  });
});
