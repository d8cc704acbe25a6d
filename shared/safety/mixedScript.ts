import { codePointLabel, escapeHidden } from './characterNames.js';
import { codePointBefore, unitLength } from './codePoints.js';
import type { Emit } from './finding.js';
import { redactSecrets } from './secretPatterns.js';

// Homoglyph words: one word mixing Latin letters with Cyrillic or Greek ones ("pаypal" with a
// Cyrillic а) reads as the Latin word to a person and is another string to a model, a link
// checker or a filter. Whole words in one script (Greek or Russian text, a Latin brand name
// beside them) are not homoglyphs.

// Runs of Greek and Cyrillic (with the combining marks that may sit on them), found without the
// u flag's slower Unicode classes: a text in one script is a handful of long runs, and a mixed
// word is a run with a Latin letter right before or after it.
// eslint-disable-next-line no-misleading-character-class -- the combining marks are listed on purpose, one by one
const GREEK_OR_CYRILLIC_RUN = /[\u0300-\u036F\u0370-\u03FF\u0400-\u052F\u1C80-\u1C8F\u1D26-\u1D2A\u1F00-\u1FFF\u2DE0-\u2DFF\uA640-\uA69F]+/g;
const LATIN = /\p{sc=Latn}/u;
const MARK = /\p{M}/u;
const WORD_CHARACTER = /[\p{L}\p{M}\p{N}_]/u;
const WORD_REST = /[\p{L}\p{M}\p{N}_]*/uy;
const CYRILLIC = /\p{sc=Cyrl}/u;
const GREEK = /\p{sc=Grek}/u;
// Greek letters written as symbols beside Latin ones and resembling no Latin letter: units and
// notation (10μs, ΔT, λx, Ωm), not disguises.
const GREEK_SYMBOLS = new Set('ΓΔΘΛΞΠΣΦΨΩδζθλμξπσςφψω');
// A word longer than this is reported by its first part: enough to recognise it.
const WORD_MAX = 64;

/** Whether a Latin letter touches the run: right before it (marks between aside) or right after. */
function touchesLatin(text: string, start: number, end: number): boolean {
  let before = start;
  for (let steps = 0; before > 0 && steps < 8; steps++) {
    const cp = codePointBefore(text, before);
    const c = String.fromCodePoint(cp);
    if (LATIN.test(c)) return true;
    if (!MARK.test(c)) break;
    before -= unitLength(cp);
  }
  return end < text.length && LATIN.test(String.fromCodePoint(text.codePointAt(end)!));
}

export function findMixedScriptWords(text: string, emit: Emit): void {
  const re = new RegExp(GREEK_OR_CYRILLIC_RUN);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let start = m.index;
    let end = m.index + m[0].length;
    // Only letters make a word mixed: a run of combining marks alone is not Greek or Cyrillic.
    if (!/[^\u0300-\u036F]/.test(m[0]) || !touchesLatin(text, start, end)) continue;
    for (let steps = 0; start > 0 && steps < WORD_MAX; steps++) {
      const cp = codePointBefore(text, start);
      if (!WORD_CHARACTER.test(String.fromCodePoint(cp))) break;
      start -= unitLength(cp);
    }
    WORD_REST.lastIndex = end;
    WORD_REST.test(text);
    end = WORD_REST.lastIndex;
    re.lastIndex = end;
    // Judged on its part around the run: a word of a megabyte costs no more.
    const word = text.slice(start, Math.min(end, m.index + m[0].length + WORD_MAX, start + 4 * WORD_MAX));
    const foreign = [...word].filter((c) => CYRILLIC.test(c) || GREEK.test(c));
    if (foreign.every((c) => GREEK_SYMBOLS.has(c))) continue;
    const scripts = foreign.some((c) => CYRILLIC.test(c)) ? (foreign.some((c) => GREEK.test(c)) ? 'Cyrillic and Greek' : 'Cyrillic') : 'Greek';
    const shown = [...new Set(foreign)]
      .slice(0, 3)
      .map((c) => `${c} is ${CYRILLIC.test(c) ? 'Cyrillic' : 'Greek'} ${codePointLabel(c.codePointAt(0)!)}`)
      .join(', ');
    const quoted = escapeHidden(redactSecrets([...word].slice(0, WORD_MAX).join('')));
    if (!emit({ rule: 'mixed-script-word', start, end, message: `a word mixing Latin and ${scripts} letters ("${quoted}": ${shown}), which reads as another word than it is` })) return;
  }
}
