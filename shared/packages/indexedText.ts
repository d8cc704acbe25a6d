/**
 * How much of a file the content search indexes: its first 64 KiB of UTF-8, cut at a character
 * boundary. Rule files are rarely longer, and the cap bounds what one publish adds to the index
 * (100 files × 64 KiB) and what a search snippet is computed from. Pages show the whole files,
 * read from the archive; only search sees the capped text.
 */
export const INDEXED_TEXT_MAX_BYTES = 65_536;

/** The part of `text` the content search indexes: at most INDEXED_TEXT_MAX_BYTES of UTF-8, whole characters only. */
export function indexedText(text: string): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, two units, is 4): short texts need no encoding.
  if (text.length * 3 <= INDEXED_TEXT_MAX_BYTES) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= INDEXED_TEXT_MAX_BYTES) return text;
  let end = INDEXED_TEXT_MAX_BYTES;
  // Back to the first byte of the character the cap falls in (continuation bytes are 10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
