/** Where a search query matched the text of one file of a package's latest version. */
export interface ContentMatch {
  /** The file's path in the archive. */
  path: string;
  /** A short excerpt of the file around the matched words: plain text, whitespace collapsed, at most SNIPPET_MAX_CHARS. */
  snippet: string;
  /**
   * The matched words inside `snippet`, as [start, end) offsets in UTF-16 code units (JavaScript
   * string indexes), in order, not overlapping. A page marks them and escapes everything.
   */
  highlights: Array<[number, number]>;
}

export const SNIPPET_MAX_CHARS = 200;

/**
 * The characters the search statement has PostgreSQL's ts_headline put around matched words and
 * in place of `<` and `>` (its parser would take `<...>` for markup and drop it). All four are of
 * Unicode's private use area and are removed from the file's text first, so every one of them in a
 * headline is ours.
 */
export const HEADLINE_MARK = {
  start: '\uE000',
  stop: '\uE001',
  lessThan: '\uE002',
  greaterThan: '\uE003',
} as const;

// Runs of white space and control characters become one space: a snippet is one line of text.
const BLANK = /[\s\u0000-\u001f\u007f-\u009f]/u;

/**
 * A ContentMatch from a headline as the search statement computes it: the markers turned into
 * offsets, `<` and `>` restored, white space collapsed, and the excerpt cut to SNIPPET_MAX_CHARS
 * around the first matched word.
 */
export function contentMatchOf(path: string, headline: string): ContentMatch {
  let text = '';
  const highlights: Array<[number, number]> = [];
  let pendingSpace = false;
  let openedAt: number | null = null;
  let inside = false;
  for (const char of headline) {
    if (char === HEADLINE_MARK.start) {
      inside = true;
      openedAt = null;
      continue;
    }
    if (char === HEADLINE_MARK.stop) {
      if (inside && openedAt !== null && text.length > openedAt) highlights.push([openedAt, text.length]);
      inside = false;
      openedAt = null;
      continue;
    }
    if (BLANK.test(char)) {
      pendingSpace = text.length > 0;
      continue;
    }
    if (pendingSpace) {
      text += ' ';
      pendingSpace = false;
    }
    if (inside && openedAt === null) openedAt = text.length;
    text += char === HEADLINE_MARK.lessThan ? '<' : char === HEADLINE_MARK.greaterThan ? '>' : char;
  }
  if (inside && openedAt !== null && text.length > openedAt) highlights.push([openedAt, text.length]);
  return { path, ...excerpt(text, highlights) };
}

/** At most SNIPPET_MAX_CHARS of `text`, cut at spaces, starting a little before the first highlight. */
function excerpt(text: string, highlights: Array<[number, number]>): Pick<ContentMatch, 'snippet' | 'highlights'> {
  if (text.length <= SNIPPET_MAX_CHARS) return { snippet: text, highlights };
  const first = highlights[0]?.[0] ?? 0;
  // Some context before the first match, but never so much that the match itself is cut off.
  let start = Math.max(0, Math.min(first - 40, text.length - SNIPPET_MAX_CHARS));
  if (start > 0) {
    const space = text.indexOf(' ', start);
    start = space !== -1 && space < first ? space + 1 : start;
  }
  let end = Math.min(text.length, start + SNIPPET_MAX_CHARS);
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    if (space > first && space > start) end = space;
  }
  // Never between the two halves of a surrogate pair.
  if (isLowSurrogate(text.charCodeAt(start))) start++;
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end--;
  const kept = highlights
    .filter(([from, to]) => from >= start && to <= end)
    .map(([from, to]): [number, number] => [from - start, to - start]);
  return { snippet: text.slice(start, end), highlights: kept };
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
