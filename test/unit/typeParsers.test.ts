import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseTimestamptz, PG_TYPES } from '../../shared/adapters/postgres/typeParsers.js';

const byNodePostgres = pg.types.getTypeParser(1184, 'text') as (text: string) => Date;

describe('parseTimestamptz', () => {
  it('reads what PostgreSQL writes in UTC as node-postgres does, to the millisecond', () => {
    const written = ['2026-11-30 17:45:45+00', '2026-11-30 17:45:45.7+00', '2026-11-30 17:45:45.78+00', '2026-11-30 17:45:45.780123+00', '1999-12-31 23:59:59.999999+00', '2024-02-29 00:00:00.000001+00', '1000-01-01 00:00:00+00', '9999-12-31 23:59:59.5+00'];
    for (const text of written) expect((parseTimestamptz(text) as Date).toISOString(), text).toBe(byNodePostgres(text).toISOString());
    // Every millisecond of a second, written with six digits as PostgreSQL keeps them.
    for (let ms = 0; ms < 1000; ms++) {
      const text = `2026-01-02 03:04:05.${String(ms * 1000 + 999).padStart(6, '0')}+00`;
      expect((parseTimestamptz(text) as Date).getTime() % 1000, text).toBe(ms);
    }
  });

  it('leaves every other form to node-postgres', () => {
    for (const text of ['2026-11-30 18:45:45.78+01', '2026-11-30 12:15:45+05:30', '0099-01-01 00:00:00+00', '2026-11-30 17:45:45+00 BC', 'infinity', '-infinity', '12026-11-30 17:45:45+00']) {
      expect(String(parseTimestamptz(text)), text).toBe(String(byNodePostgres(text)));
    }
  });

  it('is the parser node-postgres is given for timestamptz, and only for it', () => {
    expect(PG_TYPES.getTypeParser(1184, 'text')).toBe(parseTimestamptz);
    expect(PG_TYPES.getTypeParser(1114, 'text')).toBe(pg.types.getTypeParser(1114, 'text'));
    expect(PG_TYPES.getTypeParser(23, 'text')).toBe(pg.types.getTypeParser(23, 'text'));
  });
});
