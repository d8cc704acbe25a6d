// Code points around a UTF-16 offset, for rules that judge a character by its neighbours.

/** The code point ending just before offset `i`, or -1 at the start. */
export function codePointBefore(text: string, i: number): number {
  if (i <= 0) return -1;
  const low = text.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = text.charCodeAt(i - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}

/** The code point starting at offset `i`, or -1 at the end. */
export const codePointAt = (text: string, i: number) => (i < text.length ? text.codePointAt(i)! : -1);

/** UTF-16 length of a code point. */
export const unitLength = (cp: number) => (cp > 0xffff ? 2 : 1);
