// Where a Markdown text shows code literally: fenced code blocks, and inline code spans. An HTML
// comment or a link definition there is shown to the reader as written, so it hides nothing
// (everything else is still scanned there: an agent reads code blocks too).

// An opening or closing fence: up to three spaces, then three or more backticks or tildes
// (CommonMark 4.5). Fences nested in list items or block quotes are not followed: there a
// comment is reported as if outside code, which errs toward showing it.
const FENCE = /^ {0,3}(`{3,}|~{3,})([^\n]*)$/gm;

export class CodeBlocks {
  /** Sorted, disjoint [start, end) ranges of fenced code blocks, fences included. */
  private readonly ranges: Array<[number, number]> = [];

  constructor(text: string) {
    let open: { start: number; fence: string } | undefined;
    const re = new RegExp(FENCE);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const fence = m[1]!;
      if (!open) {
        // A backtick fence's info string may not contain a backtick.
        if (fence[0] === '`' && m[2]!.includes('`')) continue;
        open = { start: m.index, fence };
      } else if (fence[0] === open.fence[0] && fence.length >= open.fence.length && m[2]!.trim() === '') {
        this.ranges.push([open.start, m.index + m[0].length]);
        open = undefined;
      }
    }
    // An unclosed fence runs to the end of the document.
    if (open) this.ranges.push([open.start, text.length]);
  }

  contains(offset: number): boolean {
    let low = 0;
    let high = this.ranges.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const [start, end] = this.ranges[mid]!;
      if (offset < start) high = mid - 1;
      else if (offset >= end) low = mid + 1;
      else return true;
    }
    return false;
  }
}

// How far a code span's closing backticks are looked for: a hostile line of a megabyte of
// backticks then costs a bounded amount per opening run (an unclosed span beyond reach is taken
// as literal backticks, which errs toward reporting what follows).
const SPAN_REACH = 1024;

/**
 * Inline code spans (CommonMark 6.1, simplified to one line): a run of backticks opens a span
 * that the next run of the same length on the line closes; without one it is literal. Asked for
 * offsets in increasing order, it reads the text once.
 */
export class InlineCode {
  private at = 0;
  /** Length of the backtick run that opened the current span, 0 outside a span. */
  private open = 0;

  constructor(private readonly text: string) {}

  contains(offset: number): boolean {
    const text = this.text;
    for (let i = Math.max(this.at, 0); i < offset; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) this.open = 0;
      if (c !== 0x60) continue;
      let run = 1;
      while (text.charCodeAt(i + run) === 0x60) run++;
      if (this.open === 0) this.open = this.closes(i + run, run) ? run : 0;
      else if (this.open === run) this.open = 0;
      i += run - 1;
      // A run may reach past the offset asked about; the next question starts after it.
      this.at = i + 1;
    }
    this.at = Math.max(this.at, offset);
    return this.open > 0;
  }

  /** Whether a run of exactly `run` backticks follows on the same line, within reach. */
  private closes(from: number, run: number): boolean {
    const text = this.text;
    const end = Math.min(text.length, from + SPAN_REACH);
    for (let i = from; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) return false;
      if (c !== 0x60) continue;
      let n = 1;
      while (text.charCodeAt(i + n) === 0x60) n++;
      if (n === run) return true;
      i += n - 1;
    }
    return false;
  }
}
