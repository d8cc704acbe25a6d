// Names of the invisible and control characters a reader is shown, and the one escape every
// message and excerpt uses for them (`⟨U+200B⟩`). A small table of the common ones: the others
// are named by their code point alone.

const NAMES: ReadonlyMap<number, string> = new Map([
  [0x0000, 'NULL'],
  [0x0007, 'BELL'],
  [0x0008, 'BACKSPACE'],
  [0x0009, 'CHARACTER TABULATION'],
  [0x000a, 'LINE FEED'],
  [0x000b, 'LINE TABULATION'],
  [0x000c, 'FORM FEED'],
  [0x000d, 'CARRIAGE RETURN'],
  [0x001b, 'ESCAPE'],
  [0x007f, 'DELETE'],
  [0x0085, 'NEXT LINE'],
  [0x00ad, 'SOFT HYPHEN'],
  [0x034f, 'COMBINING GRAPHEME JOINER'],
  [0x061c, 'ARABIC LETTER MARK'],
  [0x115f, 'HANGUL CHOSEONG FILLER'],
  [0x1160, 'HANGUL JUNGSEONG FILLER'],
  [0x17b4, 'KHMER VOWEL INHERENT AQ'],
  [0x17b5, 'KHMER VOWEL INHERENT AA'],
  [0x180e, 'MONGOLIAN VOWEL SEPARATOR'],
  [0x200b, 'ZERO WIDTH SPACE'],
  [0x200c, 'ZERO WIDTH NON-JOINER'],
  [0x200d, 'ZERO WIDTH JOINER'],
  [0x200e, 'LEFT-TO-RIGHT MARK'],
  [0x200f, 'RIGHT-TO-LEFT MARK'],
  [0x2028, 'LINE SEPARATOR'],
  [0x2029, 'PARAGRAPH SEPARATOR'],
  [0x202a, 'LEFT-TO-RIGHT EMBEDDING'],
  [0x202b, 'RIGHT-TO-LEFT EMBEDDING'],
  [0x202c, 'POP DIRECTIONAL FORMATTING'],
  [0x202d, 'LEFT-TO-RIGHT OVERRIDE'],
  [0x202e, 'RIGHT-TO-LEFT OVERRIDE'],
  [0x2060, 'WORD JOINER'],
  [0x2061, 'FUNCTION APPLICATION'],
  [0x2062, 'INVISIBLE TIMES'],
  [0x2063, 'INVISIBLE SEPARATOR'],
  [0x2064, 'INVISIBLE PLUS'],
  [0x2066, 'LEFT-TO-RIGHT ISOLATE'],
  [0x2067, 'RIGHT-TO-LEFT ISOLATE'],
  [0x2068, 'FIRST STRONG ISOLATE'],
  [0x2069, 'POP DIRECTIONAL ISOLATE'],
  [0x3164, 'HANGUL FILLER'],
  [0xfeff, 'ZERO WIDTH NO-BREAK SPACE'],
  [0xffa0, 'HALFWIDTH HANGUL FILLER'],
  [0xfff9, 'INTERLINEAR ANNOTATION ANCHOR'],
  [0xfffa, 'INTERLINEAR ANNOTATION SEPARATOR'],
  [0xfffb, 'INTERLINEAR ANNOTATION TERMINATOR'],
  [0xe0001, 'LANGUAGE TAG'],
  [0xe0020, 'TAG SPACE'],
  [0xe007f, 'CANCEL TAG'],
]);

// Unicode names the tag characters after the ASCII they shadow (U+E0041 TAG LATIN CAPITAL LETTER A).
const ASCII_PUNCTUATION = [
  'EXCLAMATION MARK', 'QUOTATION MARK', 'NUMBER SIGN', 'DOLLAR SIGN', 'PERCENT SIGN', 'AMPERSAND', 'APOSTROPHE',
  'LEFT PARENTHESIS', 'RIGHT PARENTHESIS', 'ASTERISK', 'PLUS SIGN', 'COMMA', 'HYPHEN-MINUS', 'FULL STOP', 'SOLIDUS',
];
const DIGITS = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];
const MORE_PUNCTUATION: Record<string, string> = {
  ':': 'COLON', ';': 'SEMICOLON', '<': 'LESS-THAN SIGN', '=': 'EQUALS SIGN', '>': 'GREATER-THAN SIGN', '?': 'QUESTION MARK',
  '@': 'COMMERCIAL AT', '[': 'LEFT SQUARE BRACKET', '\\': 'REVERSE SOLIDUS', ']': 'RIGHT SQUARE BRACKET', '^': 'CIRCUMFLEX ACCENT',
  _: 'LOW LINE', '`': 'GRAVE ACCENT', '{': 'LEFT CURLY BRACKET', '|': 'VERTICAL LINE', '}': 'RIGHT CURLY BRACKET', '~': 'TILDE',
};

function asciiName(c: string): string | undefined {
  const cp = c.charCodeAt(0);
  if (cp >= 0x21 && cp <= 0x2f) return ASCII_PUNCTUATION[cp - 0x21];
  if (cp >= 0x30 && cp <= 0x39) return `DIGIT ${DIGITS[cp - 0x30]}`;
  if (cp >= 0x41 && cp <= 0x5a) return `LATIN CAPITAL LETTER ${c}`;
  if (cp >= 0x61 && cp <= 0x7a) return `LATIN SMALL LETTER ${c.toUpperCase()}`;
  return MORE_PUNCTUATION[c];
}

/** `U+200B`: at least four upper-case hex digits. */
export const codePointLabel = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** The character's Unicode name where the table knows it, else undefined. */
export function characterName(cp: number): string | undefined {
  const known = NAMES.get(cp);
  if (known) return known;
  if (cp >= 0xfe00 && cp <= 0xfe0f) return `VARIATION SELECTOR-${cp - 0xfe00 + 1}`;
  if (cp >= 0xe0100 && cp <= 0xe01ef) return `VARIATION SELECTOR-${cp - 0xe0100 + 17}`;
  if (cp > 0xe0020 && cp < 0xe007f) {
    const name = asciiName(String.fromCharCode(cp - 0xe0000));
    return name && `TAG ${name}`;
  }
  return undefined;
}

/** `U+200B ZERO WIDTH SPACE`, or `U+XXXX` alone for a character the table does not name. */
export function describeCharacter(cp: number): string {
  const name = characterName(cp);
  return name ? `${codePointLabel(cp)} ${name}` : codePointLabel(cp);
}

/**
 * What a reader cannot see: controls (C0, DEL, C1), format characters, other default-ignorable
 * code points (fillers, variation selectors, tags and the like), line and paragraph separators,
 * and lone surrogates. Tab, line feed and the carriage return of a CRLF are ordinary text, so
 * callers that keep them decide that themselves.
 */
export const HIDDEN_CHARACTER = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]|[\uD800-\uDFFF]/u;

const HIDDEN_GLOBAL = new RegExp(HIDDEN_CHARACTER.source, 'gu');

/** Every hidden character as `⟨U+XXXX⟩` (tabs and line breaks included): text safe to print. */
export const escapeHidden = (text: string) => text.replace(HIDDEN_GLOBAL, (c) => `⟨${codePointLabel(c.codePointAt(0)!)}⟩`);
