import { describe, expect, it } from 'vitest';
import { isoTimestamp } from '../../shared/isoTimestamp.js';

const DAY_MS = 86_400_000;
const YEAR_10000_MS = Date.UTC(10000, 0, 1);

describe('isoTimestamp', () => {
  it('writes what toISOString writes, on every day from 1970 to 9999', () => {
    // A different time of day on each day, so every hour, minute, second and millisecond occurs.
    let mismatches = 0;
    for (let day = 0; day * DAY_MS < YEAR_10000_MS; day++) {
      const date = new Date(day * DAY_MS + ((day * 7_919_573) % DAY_MS));
      if (isoTimestamp(date) !== date.toISOString()) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('is exact at the edges of days, months, leap days, centuries and its range', () => {
    const edges = ['1970-01-01T00:00:00.000Z', '1999-12-31T23:59:59.999Z', '2000-02-29T12:00:00.001Z', '2000-03-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z', '2100-02-28T23:59:59.999Z', '2100-03-01T00:00:00.000Z', '2400-02-29T00:00:00.000Z', '9999-12-31T23:59:59.999Z'];
    for (const text of edges) expect(isoTimestamp(new Date(text))).toBe(text);
  });

  it('leaves dates before 1970 and from 10000 on to toISOString, and throws on an invalid date as it does', () => {
    for (const ms of [-1, -DAY_MS * 400 + 5, Date.UTC(-1, 5, 6), YEAR_10000_MS, YEAR_10000_MS + 123]) {
      expect(isoTimestamp(new Date(ms))).toBe(new Date(ms).toISOString());
    }
    expect(() => isoTimestamp(new Date(Number.NaN))).toThrow(RangeError);
  });
});
