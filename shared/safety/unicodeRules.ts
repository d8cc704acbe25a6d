import { codePointLabel, describeCharacter } from './characterNames.js';
import { codePointAt, codePointBefore } from './codePoints.js';
import type { Emit } from './finding.js';
import type { RuleId } from './rules.js';
import { redactSecrets } from './secretPatterns.js';

// Characters that hide text from a person while a model reads it: Unicode tags (whole hidden
// sentences), bidi controls (text shown in another order than it is read), zero-width and other
// invisible characters, joiners and variation selectors outside the places real text needs them,
// and control characters a terminal acts on.

// Every candidate, found by one regular expression (the text is mostly free of them, so this is
// the only pass over it); each hit is then judged in its context. Without the u flag, so astral
// tags and variation selectors are matched as their surrogate pairs (U+E0000–U+E01EF: \uDB40 then
// \uDC00–\uDDEF).
const CANDIDATE =
  // eslint-disable-next-line no-misleading-character-class -- ZWJ and the selectors are what this class looks for
  /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\xAD\u180E\u200B-\u200D\u202A-\u202E\u2060-\u206F\uFE00-\uFE0F\uFEFF\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDDEF]|\r(?!\n)/g;

// A subdivision flag (England, Scotland, Wales…): U+1F3F4, then 2 to 8 tag letters or digits
// spelling a region code (gbeng), then CANCEL TAG (UTS #51, emoji tag sequences).
const FLAG_TAGS = /(?:\uDB40[\uDC30-\uDC39\uDC61-\uDC7A]){2,8}\uDB40\uDC7F/y;
const TAG_RUN = /(?:\uDB40[\uDC00-\uDC7F])+/y;
// Runs of one rule's characters are taken whole, so a megabyte of them costs one match each.
const INVISIBLE_RUN = /[\xAD\u180E\u200B\u2060-\u2065\u206A-\u206F\uFEFF\uFFF9-\uFFFB]+/y;
const BIDI_RUN = /[\u202A-\u202E\u2066-\u2069]+/y;
const CONTROL_RUN = /(?:[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]|\r(?!\n))+/y;
const VARIATION_RUN = /(?:[\uFE00-\uFE0F]|\uDB40[\uDD00-\uDDEF])+/y;

const EMOJI = /\p{Emoji}/u;
const BEFORE_EMOJI_JOINER = /[\p{Extended_Pictographic}\p{Emoji_Modifier}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const IDEOGRAPH = /\p{Ideographic}/u;
const VARIATION_BASE = /[\p{L}\p{N}\p{S}\p{P}]/u;
const LETTER_OR_MARK = /[\p{L}\p{M}]/u;
const SPACE_OR_PUNCTUATION = /[\s\p{P}]/u;
// Scripts whose spelling needs ZWNJ or ZWJ between letters: Persian and other Arabic-script
// languages (a ZWNJ between the ی and خ of "I want"), Syriac, Thaana, N'Ko, Mandaic, Mongolian, and the
// Brahmic scripts of India and Southeast Asia (half forms and conjuncts: KA, VIRAMA, ZWJ, SSA).
const JOINING_SCRIPT =
  /[\p{scx=Arab}\p{scx=Syrc}\p{scx=Thaa}\p{scx=Nkoo}\p{scx=Mand}\p{scx=Mong}\p{scx=Deva}\p{scx=Beng}\p{scx=Guru}\p{scx=Gujr}\p{scx=Orya}\p{scx=Taml}\p{scx=Telu}\p{scx=Knda}\p{scx=Mlym}\p{scx=Sinh}\p{scx=Mymr}\p{scx=Khmr}\p{scx=Tibt}\p{scx=Bali}\p{scx=Java}\p{scx=Lana}]/u;

const isVariationSelector = (cp: number) => (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
const isBidiControl = (cp: number) => (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);

// A text full of emoji or Persian asks about the same few characters again and again: each
// class's answers are kept (a bounded number of them).
const answers = new Map<RegExp, Map<number, boolean>>();
function matches(re: RegExp, cp: number): boolean {
  if (cp < 0) return false;
  let known = answers.get(re);
  if (!known) answers.set(re, (known = new Map<number, boolean>()));
  let answer = known.get(cp);
  if (answer === undefined) {
    if (known.size >= 4096) known.clear();
    answer = re.test(String.fromCodePoint(cp));
    known.set(cp, answer);
  }
  return answer;
}
const joiningLetter = (cp: number) => matches(LETTER_OR_MARK, cp) && matches(JOINING_SCRIPT, cp);

/** ZWJ inside an emoji ZWJ sequence (man ZWJ woman ZWJ girl; white flag VS16 ZWJ rainbow), or ZWNJ/ZWJ between letters of a joining script. */
function joinerFits(joiner: number, before: number, after: number): boolean {
  if (joiner === 0x200d && (before === 0xfe0f || matches(BEFORE_EMOJI_JOINER, before)) && matches(PICTOGRAPH, after)) return true;
  return joiningLetter(before) && (after < 0 || joiningLetter(after) || matches(SPACE_OR_PUNCTUATION, after));
}

/**
 * A variation selector right after a character it can modify: VS15/VS16 after an emoji-capable
 * character (heavy check mark VS16; # VS16 keycap), VS17–VS256 after an ideograph (ideographic variation sequences), VS1–VS14
 * after a letter, digit, symbol or punctuation (standardized variation sequences). Never after
 * another variation selector: a run of them is how data is smuggled in text.
 */
function variationSelectorFits(selector: number, before: number): boolean {
  if (before < 0 || isVariationSelector(before)) return false;
  if (selector === 0xfe0e || selector === 0xfe0f) return matches(EMOJI, before);
  if (selector >= 0xe0100) return matches(IDEOGRAPH, before);
  return matches(VARIATION_BASE, before);
}

/** The distinct code points of a run as "U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER" (at most three). */
function listCharacters(distinct: readonly number[]): string {
  const shown = distinct.slice(0, 3).map(describeCharacter).join(', ');
  return distinct.length > 3 ? `${shown}, …` : shown;
}

const counted = (n: number, one: string, many: string) => (n === 1 ? one : `${n} ${many}`);

function messageFor(rule: RuleId, n: number, distinct: readonly number[]): string {
  const list = listCharacters(distinct);
  switch (rule) {
    case 'bidi-control':
      return `${counted(n, 'a bidirectional control character', 'bidirectional control characters')} (${list}), which ${n === 1 ? 'makes' : 'make'} editors show text in another order than agents read it`;
    case 'zero-width-joiner': {
      const noun = distinct.every((cp) => cp === 0x200c) ? 'zero-width non-joiner' : distinct.every((cp) => cp === 0x200d) ? 'zero-width joiner' : 'zero-width joiner or non-joiner';
      return `${counted(n, `a ${noun}`, `${noun}s`)} (${list}) outside an emoji sequence or a script that needs ${n === 1 ? 'it' : 'them'}, invisible in editors but read by agents`;
    }
    case 'variation-selector':
      return n === 1
        ? `a variation selector (${list}) after a character it cannot modify, invisible in editors but read by agents`
        : `${n} variation selectors in a row (${list}), invisible in editors but able to carry hidden data`;
    case 'control-character':
      return distinct[0] === 0x0d && n === 1
        ? `a carriage return without a line feed (U+000D), which makes a terminal print the rest of the line over its beginning`
        : `${counted(n, 'a control character', 'control characters')} (${list}), which terminals act on and editors may not show`;
    default:
      return `${counted(n, 'an invisible character', 'invisible characters')} (${list}), invisible in editors but read by agents`;
  }
}

/** The text tag characters spell (U+E0041 → "A"), bounded, with any credential in it redacted. */
function decodeTags(text: string, start: number, end: number): string {
  let out = '';
  let shown = 0;
  for (let i = start; i < end && shown < 80; i += 2, shown++) {
    const ascii = text.codePointAt(i)! - 0xe0000;
    out += ascii >= 0x20 && ascii < 0x7f ? String.fromCharCode(ascii) : `⟨${codePointLabel(ascii + 0xe0000)}⟩`;
  }
  return redactSecrets(out) + (end - start > 160 ? '…' : '');
}

function tagMessage(text: string, start: number, end: number): string {
  const n = (end - start) / 2;
  const first = codePointLabel(text.codePointAt(start)!);
  if (n === 1) return `a Unicode tag character (${first}), invisible in editors but read by agents`;
  const spelled = decodeTags(text, start, end).replaceAll('"', '\\"');
  return `${n} Unicode tag characters (from ${first}) spelling "${spelled}", invisible in editors but read by agents`;
}

interface Pending {
  rule: RuleId;
  start: number;
  end: number;
  count: number;
  /** The first few distinct code points, for the message. */
  distinct: number[];
}

function note(distinct: number[], cp: number) {
  if (distinct.length < 4 && !distinct.includes(cp)) distinct.push(cp);
}

/**
 * Reports hidden characters; adjacent ones of the same rule are one finding (a run of 40
 * zero-width spaces is one thing to fix). A byte order mark at offset 0 is not a finding.
 */
export function findHiddenCharacters(text: string, emit: Emit): void {
  const re = new RegExp(CANDIDATE);
  let pending: Pending | undefined;
  const flush = () => {
    if (!pending) return true;
    const { rule, start, end, count, distinct } = pending;
    pending = undefined;
    return emit({ rule, start, end, message: messageFor(rule, count, distinct) });
  };
  const report = (rule: RuleId, start: number, end: number, count: number, distinct: number[]) => {
    if (pending && pending.rule === rule && pending.end === start) {
      pending.end = end;
      pending.count += count;
      for (const cp of distinct) note(pending.distinct, cp);
      return true;
    }
    const more = flush();
    pending = { rule, start, end, count, distinct };
    return more;
  };

  // test() rather than exec(): no match object per hit, which counts in a text full of emoji. A
  // hit is one code unit, or a surrogate pair when its last unit is a low surrogate.
  while (re.test(text)) {
    const last = text.charCodeAt(re.lastIndex - 1);
    const i = last >= 0xdc00 && last <= 0xdfff ? re.lastIndex - 2 : re.lastIndex - 1;
    const cp = text.codePointAt(i)!;
    let more = true;
    if (cp >= 0xe0000 && cp <= 0xe007f) {
      if (codePointBefore(text, i) === 0x1f3f4) {
        FLAG_TAGS.lastIndex = i;
        if (FLAG_TAGS.test(text)) {
          re.lastIndex = FLAG_TAGS.lastIndex;
          continue;
        }
      }
      TAG_RUN.lastIndex = i;
      TAG_RUN.test(text);
      const end = TAG_RUN.lastIndex;
      re.lastIndex = end;
      more = flush() && emit({ rule: 'unicode-tag', start: i, end, message: tagMessage(text, i, end) });
    } else if (isVariationSelector(cp)) {
      if (variationSelectorFits(cp, codePointBefore(text, i))) continue;
      VARIATION_RUN.lastIndex = i;
      VARIATION_RUN.test(text);
      const end = VARIATION_RUN.lastIndex;
      re.lastIndex = end;
      let count = 0;
      const distinct: number[] = [];
      for (let j = i; j < end; count++) {
        const selector = text.codePointAt(j)!;
        note(distinct, selector);
        j += selector > 0xffff ? 2 : 1;
      }
      more = report('variation-selector', i, end, count, distinct);
    } else if (cp === 0x200c || cp === 0x200d) {
      if (joinerFits(cp, codePointBefore(text, i), codePointAt(text, i + 1))) continue;
      more = report('zero-width-joiner', i, i + 1, 1, [cp]);
    } else if (cp === 0xfeff && i === 0) {
      continue;
    } else {
      const [rule, run] = isBidiControl(cp)
        ? (['bidi-control', BIDI_RUN] as const)
        : cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)
          ? (['control-character', CONTROL_RUN] as const)
          : (['invisible-character', INVISIBLE_RUN] as const);
      run.lastIndex = i;
      run.test(text);
      const end = run.lastIndex;
      re.lastIndex = end;
      const distinct: number[] = [];
      for (let j = i; j < Math.min(end, i + 64); j++) note(distinct, text.charCodeAt(j));
      more = report(rule, i, end, end - i, distinct);
    }
    if (!more) return;
  }
  flush();
}
