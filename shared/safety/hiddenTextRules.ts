import { CodeBlocks, InlineCode } from './codeSpans.js';
import type { Emit } from './finding.js';

// Text a person does not see but a model reads, hidden by how Markdown renders or how an editor
// lays text out: HTML comments, link reference definitions carrying prose, and text pushed out of
// sight by a long run of blanks or blank lines.

// Comments that are tool directives, not prose: hiding them hides nothing.
const DIRECTIVE =
  /^\s*(?:markdownlint-(?:disable|enable|capture|restore|configure-file|disable-next-line|disable-line|disable-file|enable-file)(?:\s[\w\s,-]{0,200})?|prettier-ignore(?:-start|-end)?|toc|more|omit in toc|vale [\w.]+ = (?:YES|NO))\s*$/i;

/** HTML comments outside code: hidden when the Markdown is rendered, read by agents. */
export function findHtmlComments(text: string, code: CodeBlocks, emit: Emit): void {
  // Where the last search for a "-->" found none: none will be found after it either.
  let noCloseFrom = text.length + 1;
  const inlineCode = new InlineCode(text);
  for (let from = 0; ; ) {
    const start = text.indexOf('<!--', from);
    if (start < 0) return;
    from = start + 4;
    if (code.contains(start) || inlineCode.contains(start)) continue;
    // <!--> and <!---> are complete, empty comments (CommonMark 6.6).
    if (text.startsWith('>', start + 4) || text.startsWith('->', start + 4)) continue;
    const close = start + 4 >= noCloseFrom ? -1 : text.indexOf('-->', start + 4);
    if (close < 0) noCloseFrom = Math.min(noCloseFrom, start + 4);
    const bodyEnd = close < 0 ? text.length : close;
    // Unclosed, it hides the rest of the document only as an HTML block (at the start of a line,
    // after at most three spaces); inside a paragraph it is shown as written.
    if (close < 0 && !/(?:^|\n) {0,3}$/.test(text.slice(Math.max(0, start - 4), start))) continue;
    from = close < 0 ? text.length : close + 3;
    const body = text.slice(start + 4, Math.min(bodyEnd, start + 4 + 400));
    if (!/\S/.test(text.slice(start + 4, bodyEnd)) || (bodyEnd - start < 400 && DIRECTIVE.test(body))) continue;
    const message =
      close < 0
        ? 'an HTML comment left open, which hides the rest of the file when the Markdown is rendered but is read by agents'
        : 'an HTML comment, hidden when the Markdown is rendered but read by agents';
    if (!emit({ rule: 'html-comment', start, end: from, message })) return;
  }
}

// The start of a link reference definition: `[label]:` at the start of a line (CommonMark 4.7).
const DEFINITION = /^ {0,3}\[((?:[^[\]\\\n]|\\[^\n]){1,999})\]:/gm;
// A definition's title holds prose from this many words; and says a lot from these sizes even
// when a link uses it (a tooltip nobody hovers over).
const PROSE_WORDS = 3;
const LONG_TITLE_WORDS = 12;
const LONG_TITLE_CHARACTERS = 80;

const wordCount = (s: string) => s.split(/\s+/).filter((w) => /\p{L}/u.test(w)).length;

interface Definition {
  label: string;
  destination: string;
  angle: boolean;
  title?: string;
  end: number;
}

// The parts after `[label]:`, matched in place (sticky): spaces and at most one line break, the
// destination (<…> or a run of non-blanks), then a title ("…", '…' or (…)) separated by blanks or
// a line break and ending its line.
const BEFORE_DESTINATION = /[ \t]*(?:\r?\n[ \t]*)?/y;
const ANGLE_DESTINATION = /<([^<>\n]{0,2048})>/y;
const BARE_DESTINATION = /[^\s]{1,2048}/y;
const TITLE = /(?:[ \t]+(?:\r?\n[ \t]*)?|\r?\n[ \t]*)("(?:[^"\\]|\\[\s\S]){0,4096}"|'(?:[^'\\]|\\[\s\S]){0,4096}'|\((?:[^()\\]|\\[\s\S]){0,4096}\))[ \t]*(?:\r?\n|$)/y;
const LINE_END = /[ \t]*(?:\r?\n|$)/y;

function matchAt(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

/** Parses what follows `[label]:`; undefined when it is no definition (CommonMark 4.7, simplified). */
function parseDefinition(text: string, label: string, from: number): Definition | undefined {
  let i = from + matchAt(BEFORE_DESTINATION, text, from)![0].length;
  const angle = matchAt(ANGLE_DESTINATION, text, i);
  const bare = angle ? null : matchAt(BARE_DESTINATION, text, i);
  const destinationMatch = angle ?? bare;
  if (!destinationMatch) return undefined;
  const destination = angle ? angle[1]! : destinationMatch[0];
  i += destinationMatch[0].length;
  const title = matchAt(TITLE, text, i);
  // A title may span lines but not hold a blank line.
  if (title && !/\n[ \t]*\r?\n/.test(title[1]!)) {
    return { label, destination, angle: angle !== null, title: title[1]!.slice(1, -1), end: i + title[0].length };
  }
  const end = matchAt(LINE_END, text, i);
  return end ? { label, destination, angle: angle !== null, end: i + end[0].length } : undefined;
}

const normalizeLabel = (label: string) => label.trim().replace(/\s+/g, ' ').toLowerCase();

/** Every bracketed text of the document that is not itself a definition's label: what links may use. */
function bracketedLabels(text: string): Set<string> {
  const labels = new Set<string>();
  const re = /\[((?:[^[\]\\\n]|\\[^\n]){1,999})\](?!:)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) labels.add(normalizeLabel(m[1]!));
  return labels;
}

/**
 * Link reference definitions are never rendered; their titles show only as a tooltip of a link
 * that uses them. A definition carrying prose is text for agents alone: `[//]: # (…)` comments,
 * long titles, and prose in an angle-bracketed destination.
 */
export function findHiddenLinkDefinitions(text: string, code: CodeBlocks, emit: Emit): void {
  if (!text.includes(']:')) return;
  const re = new RegExp(DEFINITION);
  let used: Set<string> | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (code.contains(m.index)) continue;
    const definition = parseDefinition(text, m[1]!, m.index + m[0].length);
    if (!definition) continue;
    re.lastIndex = Math.max(re.lastIndex, definition.end);
    const { title, destination, angle } = definition;
    const titleWords = title === undefined ? 0 : wordCount(title);
    let why: string | undefined;
    if (angle && wordCount(destination) >= PROSE_WORDS) why = 'whose destination holds text';
    else if (title !== undefined && (titleWords >= LONG_TITLE_WORDS || title.length >= LONG_TITLE_CHARACTERS)) why = `whose title holds ${titleWords} words`;
    else if (titleWords >= PROSE_WORDS && !(used ??= bracketedLabels(text)).has(normalizeLabel(definition.label))) {
      why = `that no link uses, whose title holds ${titleWords} words`;
    }
    if (!why) continue;
    const message = `a link reference definition ${why}: never shown when the Markdown is rendered, but read by agents`;
    if (!emit({ rule: 'hidden-link-definition', start: m.index, end: definition.end, message })) return;
  }
}

// Blanks: spaces, tabs, and the characters that render as a space or as nothing visible
// (no-break and typographic spaces, ideographic space, the Braille blank, Hangul fillers). The
// pattern of spaces and tabs alone is much faster and enough for a text without the others.
const WIDE_GAP = /[ \t\u00A0\u2000-\u200A\u202F\u205F\u2800\u3000\u3164\uFFA0]{40,}/g;
const WIDE_ASCII_GAP = /[ \t]{40,}/g;
const OTHER_BLANK = /[\u00A0\u2000-\u200A\u202F\u205F\u2800\u3000\u3164\uFFA0]/;
const BLANK_LINES = /(?:\r?\n[ \t]*){31,}/g;
// Where an editor pane stops showing a line (tabs counted as 4 columns): text after a long gap
// that still starts before it is in sight (aligned comments, columns of command output).
const SIGHT_COLUMNS = 100;

/** The column (0-based) at which `offset` is shown, or SIGHT_COLUMNS when that is beyond sight anyway. */
function displayColumn(text: string, offset: number): number {
  const reach = Math.max(0, offset - SIGHT_COLUMNS);
  const lineStart = reach + text.slice(reach, offset).lastIndexOf('\n') + 1;
  if (lineStart === reach && reach > 0 && text[reach - 1] !== '\n') return SIGHT_COLUMNS;
  let column = 0;
  for (let i = lineStart; i < offset; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0x09) column += 4;
    else if ((unit & 0xfc00) !== 0xdc00) column++;
  }
  return column;
}

/**
 * Text pushed out of sight: after 40 or more blanks and past column 100 on its line (scrolled off
 * to the right in an editor; a table cell's padding before `|` is not text), or after 30 or more
 * blank lines (scrolled off the bottom).
 */
export function findWhitespaceHiddenText(text: string, emit: Emit): void {
  const gap = new RegExp(OTHER_BLANK.test(text) ? WIDE_GAP : WIDE_ASCII_GAP);
  for (let m = gap.exec(text); m; m = gap.exec(text)) {
    const next = text[gap.lastIndex];
    if (next === undefined || next === '\n' || next === '\r' || next === '|') continue;
    if (displayColumn(text, gap.lastIndex) < SIGHT_COLUMNS) continue;
    const lineEnd = text.indexOf('\n', gap.lastIndex);
    const end = lineEnd < 0 ? text.length : lineEnd;
    const message = `${m[0].length} blank characters before text on the same line, which pushes the text out of sight in an editor`;
    if (!emit({ rule: 'whitespace-hidden-text', start: m.index, end, message })) return;
  }
  const blank = new RegExp(BLANK_LINES);
  for (let m = blank.exec(text); m; m = blank.exec(text)) {
    const start = blank.lastIndex;
    if (start >= text.length || !/\S/.test(text[start]!)) continue;
    let lines = -1;
    for (let at = m[0].indexOf('\n'); at >= 0; at = m[0].indexOf('\n', at + 1)) lines++;
    const lineEnd = text.indexOf('\n', start);
    const message = `text after ${lines} blank lines, far below what an editor shows of the file`;
    if (!emit({ rule: 'whitespace-hidden-text', start, end: lineEnd < 0 ? text.length : lineEnd, message })) return;
  }
}
