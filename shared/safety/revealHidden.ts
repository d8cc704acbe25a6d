import { codePointLabel, describeCharacter } from './characterNames.js';
import { unitLength } from './codePoints.js';

// What an agent reads, shown to a person: the text cut into plain text, invisible characters
// (each run labelled with what it is) and HTML comments (which a rendered page would drop). The
// segments' texts concatenated are the input exactly; nothing here is HTML (the page escapes it).

export interface Segment {
  kind: 'text' | 'invisible' | 'comment';
  text: string;
  /** For invisible runs: `U+200B ZERO WIDTH SPACE`, `U+200B ZERO WIDTH SPACE ×40`, or what tag characters spell. */
  label?: string;
}

// Invisible: controls other than tab and line breaks (a CR is one only before an LF), format
// characters (zero-width, bidi, tags, the byte order mark…), other default-ignorable code points
// (variation selectors, fillers), line and paragraph separators, lone surrogates.
const HIDDEN = String.raw`\r(?!\n)|[^\P{Cc}\t\n\r]|[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]|[\uD800-\uDFFF]`;
const NEXT = new RegExp(`<!--|${HIDDEN}`, 'gu');
const HIDDEN_GLOBAL = new RegExp(HIDDEN, 'gu');
const TAG_RUN = /(?:\uDB40[\uDC00-\uDC7F])+/y;
const SPELLED_MAX = 200;

const isTag = (cp: number) => cp >= 0xe0000 && cp <= 0xe007f;

/** The end of the run of invisible characters starting at `i`: identical ones, or tag characters. */
function runEnd(text: string, i: number): number {
  const cp = text.codePointAt(i)!;
  if (isTag(cp)) {
    TAG_RUN.lastIndex = i;
    TAG_RUN.test(text);
    return TAG_RUN.lastIndex;
  }
  if (cp === 0x0d) return i + 1;
  const step = unitLength(cp);
  let end = i + step;
  while (end < text.length && text.codePointAt(end) === cp) end += step;
  return end;
}

function labelOf(run: string): string {
  const first = run.codePointAt(0)!;
  const count = [...run].length;
  if (isTag(first) && count > 1) {
    const spelled = [...run]
      .slice(0, SPELLED_MAX)
      .map((c) => {
        const ascii = c.codePointAt(0)! - 0xe0000;
        return ascii >= 0x20 && ascii < 0x7f ? String.fromCharCode(ascii) : `⟨${codePointLabel(ascii + 0xe0000)}⟩`;
      })
      .join('');
    return `${count} tag characters spelling "${spelled}${count > SPELLED_MAX ? '…' : ''}"`;
  }
  return count > 1 ? `${describeCharacter(first)} ×${count}` : describeCharacter(first);
}

export function revealHidden(text: string): Segment[] {
  const segments: Segment[] = [];
  const push = (kind: Segment['kind'], piece: string, label?: string) => {
    if (!piece) return;
    const last = segments[segments.length - 1];
    if (kind === 'text' && last?.kind === 'text') last.text += piece;
    else segments.push(label === undefined ? { kind, text: piece } : { kind, text: piece, label });
  };
  /** A comment's text, its invisible characters still shown as such. */
  const pushComment = (comment: string) => {
    let at = 0;
    const re = new RegExp(HIDDEN_GLOBAL);
    for (let m = re.exec(comment); m; m = re.exec(comment)) {
      push('comment', comment.slice(at, m.index));
      const end = runEnd(comment, m.index);
      push('invisible', comment.slice(m.index, end), labelOf(comment.slice(m.index, end)));
      at = re.lastIndex = end;
    }
    push('comment', comment.slice(at));
  };

  let at = 0;
  const re = new RegExp(NEXT);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    push('text', text.slice(at, m.index));
    let end: number;
    if (m[0] === '<!--') {
      const close = text.indexOf('-->', m.index + 4);
      end = close < 0 ? text.length : close + 3;
      pushComment(text.slice(m.index, end));
    } else {
      end = runEnd(text, m.index);
      push('invisible', text.slice(m.index, end), labelOf(text.slice(m.index, end)));
    }
    at = re.lastIndex = end;
  }
  push('text', text.slice(at));
  return segments;
}
