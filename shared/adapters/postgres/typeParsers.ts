import pg from 'pg';

const TIMESTAMPTZ = 1184;
type TextParser = (text: string) => unknown;
const nodePostgresParser = (oid: number, format: 'text' | 'binary' = 'text') => pg.types.getTypeParser(oid, format) as TextParser;
/** A Date, or for infinity a number. */
const readTimestamptzSlowly = nodePostgresParser(TIMESTAMPTZ) as (text: string) => Date | number;

/** The decimal number in text[from, to), or NaN when a character is not a digit. */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * A timestamptz as PostgreSQL writes it in UTC, `YYYY-MM-DD HH:MM:SS[.ffffff]+00`, read by
 * position: node-postgres's own parser runs three regular expressions on each (a search page has
 * two timestamps per package). Anything else (another zone, a year before 1000 or after 9999, BC,
 * infinity) goes to that parser.
 */
export function parseTimestamptz(text: string): Date | number {
  const n = text.length;
  const utc = n >= 22 && text.charCodeAt(n - 3) === 43 /* + */ && text.charCodeAt(n - 2) === 48 && text.charCodeAt(n - 1) === 48;
  const shaped = utc && text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45 && text.charCodeAt(10) === 32 && text.charCodeAt(13) === 58 && text.charCodeAt(16) === 58;
  const fraction = n > 22 ? (text.charCodeAt(19) === 46 ? digits(text, 20, n - 3) : Number.NaN) : 0;
  const year = digits(text, 0, 4);
  if (!shaped || year < 1000 || Number.isNaN(fraction)) return readTimestamptzSlowly(text);
  const fractionDigits = n - 23;
  // Milliseconds, the rest of the fraction cut off as Date would.
  const ms = fractionDigits <= 0 ? 0 : fractionDigits <= 3 ? fraction * 10 ** (3 - fractionDigits) : Math.floor(fraction / 10 ** (fractionDigits - 3));
  const time = Date.UTC(year, digits(text, 5, 7) - 1, digits(text, 8, 10), digits(text, 11, 13), digits(text, 14, 16), digits(text, 17, 19), ms);
  return Number.isNaN(time) ? readTimestamptzSlowly(text) : new Date(time);
}

/** node-postgres's parsers, with timestamptz read by parseTimestamptz. */
export const PG_TYPES = {
  getTypeParser: ((oid: number, format: 'text' | 'binary' = 'text'): TextParser =>
    oid === TIMESTAMPTZ && format === 'text' ? parseTimestamptz : nodePostgresParser(oid, format)) as typeof pg.types.getTypeParser,
};
