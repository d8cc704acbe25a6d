import { describe, expect, it } from 'vitest';
import { indexedText, INDEXED_TEXT_MAX_BYTES } from '../../shared/packages/indexedText.js';

const bytes = (s: string) => Buffer.byteLength(s);

describe('indexedText', () => {
  it('keeps a text within the cap as it is', () => {
    expect(indexedText('short')).toBe('short');
    const exact = 'é'.repeat(INDEXED_TEXT_MAX_BYTES / 2);
    expect(indexedText(exact)).toBe(exact);
  });

  it('cuts a longer text at the cap, at a character boundary', () => {
    const ascii = 'a'.repeat(INDEXED_TEXT_MAX_BYTES + 10);
    expect(indexedText(ascii)).toBe('a'.repeat(INDEXED_TEXT_MAX_BYTES));
    // One byte, then 3-byte and 4-byte characters: the cap falls inside one of them.
    for (const char of ['€', '😀']) {
      const text = `a${char.repeat(INDEXED_TEXT_MAX_BYTES)}`;
      const kept = indexedText(text);
      expect(bytes(kept)).toBeLessThanOrEqual(INDEXED_TEXT_MAX_BYTES);
      expect(bytes(kept)).toBeGreaterThan(INDEXED_TEXT_MAX_BYTES - bytes(char));
      expect(text.startsWith(kept)).toBe(true);
      expect(kept).not.toContain('\uFFFD');
    }
  });
});
