const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: from there on toISOString writes six digits and a sign. */
const YEAR_10000_MS = 253_402_300_800_000;

/** The character code of digit `n`. */
const digit = (n: number) => 48 + n;

/**
 * `date.toISOString()`, computed here for dates from 1970 to 9999, and left to it otherwise
 * (earlier, later, or an invalid date, which throws as it would). V8's own is a call into its
 * runtime of about 0.4 µs; the bodies of the public reads write two or more timestamps per
 * package, 40 on a page of search results (16 µs, about 3% of the server's work on a search).
 * This takes about 0.08 µs. The calendar arithmetic is Howard Hinnant's `civil_from_days`.
 */
export function isoTimestamp(date: Date): string {
  const ms = date.getTime();
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return date.toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  // Days since 0000-03-01, in 400-year eras of 146,097 days (no era before 1970 is reached here).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const millis = rest - seconds * 1000;
  // One string from its 24 character codes: joining parts made a chain of strings for each
  // timestamp, garbage that cost about what the formatting saved.
  return String.fromCharCode(
    digit(Math.floor(year / 1000)), digit(Math.floor(year / 100) % 10), digit(Math.floor(year / 10) % 10), digit(year % 10), 45 /* - */,
    digit(Math.floor(month / 10)), digit(month % 10), 45 /* - */, digit(Math.floor(day / 10)), digit(day % 10), 84 /* T */,
    digit(Math.floor(hours / 10)), digit(hours % 10), 58 /* : */, digit(Math.floor(minutes / 10)), digit(minutes % 10), 58 /* : */,
    digit(Math.floor(seconds / 10)), digit(seconds % 10), 46 /* . */,
    digit(Math.floor(millis / 100)), digit(Math.floor(millis / 10) % 10), digit(millis % 10), 90 /* Z */,
  );
}
