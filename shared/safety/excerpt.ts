import { codePointLabel, HIDDEN_CHARACTER } from './characterNames.js';
import { unitLength } from './codePoints.js';

// The excerpt of a finding: the offending text with a little of its line around it, every hidden
// character escaped as ⟨U+XXXX⟩, long runs of blanks shortened to ⟨N spaces⟩, every credential
// replaced by its redaction, and the whole bounded, so it can be shown and printed anywhere.

const EXCERPT_MAX = 160;
const CONTEXT_BEFORE = 20;
// How far into a long finding (a comment, a blob) the excerpt reads before it stops.
const READ_MAX = 600;
const BLANK = /[ \t\u00A0\u2000-\u200A\u202F\u205F\u3000]/;
const BLANK_RUN_MIN = 8;

/** A credential's place in the scanned text and what to show instead. */
export interface Redaction {
  start: number;
  end: number;
  replacement: string;
}

export function excerptOf(text: string, start: number, end: number, redactions: readonly Redaction[]): string {
  // The line around the finding, looked for within reach only: a line may be a megabyte long.
  const reachBack = Math.max(0, start - CONTEXT_BEFORE);
  const newlineBefore = text.slice(reachBack, start).lastIndexOf('\n');
  let from = newlineBefore >= 0 ? reachBack + newlineBefore + 1 : reachBack;
  const lineStartsBefore = newlineBefore < 0 && reachBack > 0;
  // Never start inside a surrogate pair.
  if (lineStartsBefore && (text.charCodeAt(from) & 0xfc00) === 0xdc00) from--;
  const reachOn = Math.min(text.length, Math.max(end, from + READ_MAX));
  const newlineAfter = text.slice(end, reachOn).indexOf('\n');
  // Where the line ends (before its CRLF or LF), or the reach when it ends further on.
  const lineEnd = newlineAfter < 0 ? reachOn : text[end + newlineAfter - 1] === '\r' && newlineAfter > 0 ? end + newlineAfter - 1 : end + newlineAfter;
  const whole = newlineAfter < 0 && reachOn < text.length ? Infinity : Math.max(end, lineEnd);
  const to = Math.min(whole, from + READ_MAX);

  let out = lineStartsBefore ? '…' : '';
  let r = firstRedactionFrom(redactions, from);
  let i = from;
  while (i < to && out.length < EXCERPT_MAX) {
    const redaction = redactions[r];
    if (redaction && redaction.start <= i) {
      out += redaction.replacement;
      i = Math.max(i + 1, redaction.end);
      r++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const c = String.fromCodePoint(cp);
    if (BLANK.test(c)) {
      let j = i + 1;
      while (j < to && BLANK.test(text[j]!)) j++;
      if (j - i >= BLANK_RUN_MIN) {
        const run = text.slice(i, j);
        out += `⟨${j - i} ${/^ +$/.test(run) ? 'spaces' : /^\t+$/.test(run) ? 'tabs' : 'blank characters'}⟩`;
        i = j;
        continue;
      }
    }
    out += HIDDEN_CHARACTER.test(c) && cp !== 0x20 ? `⟨${codePointLabel(cp)}⟩` : c;
    i += unitLength(cp);
  }
  return i < whole ? `${out}…` : out;
}

function firstRedactionFrom(redactions: readonly Redaction[], offset: number): number {
  let low = 0;
  let high = redactions.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (redactions[mid]!.end <= offset) low = mid + 1;
    else high = mid;
  }
  return low;
}
