import { describe, expect, it } from 'vitest';
import { contentMatchOf, HEADLINE_MARK, SNIPPET_MAX_CHARS, type ContentMatch } from '../../shared/packages/searchSnippet.js';

const { start: S, stop: E, lessThan: LT, greaterThan: GT } = HEADLINE_MARK;
const marked = (m: ContentMatch) => m.highlights.map(([from, to]) => m.snippet.slice(from, to));

describe('contentMatchOf', () => {
  it('turns the markers into offsets of the matched words', () => {
    const m = contentMatchOf('rules/a.md', `Store every ${S}credential${E} in a ${S}vault${E}.`);
    expect(m).toEqual({ path: 'rules/a.md', snippet: 'Store every credential in a vault.', highlights: [[12, 22], [28, 33]] });
  });

  it('collapses white space and control characters, also inside and around matches', () => {
    const m = contentMatchOf('a.md', `\n\n  Never\t\tcommit ${S}\nkeys${E}\r\n\u0007 to\u00a0git  \n`);
    expect(m.snippet).toBe('Never commit keys to git');
    expect(marked(m)).toEqual(['keys']);
  });

  it('restores < and > as text, never as markup', () => {
    const m = contentMatchOf('a.md', `${LT}script${GT}alert(1)${LT}/script${GT} ${S}passwords${E} &amp;`);
    expect(m.snippet).toBe('<script>alert(1)</script> passwords &amp;');
    expect(marked(m)).toEqual(['passwords']);
  });

  it('counts offsets in UTF-16 code units, past characters outside the BMP', () => {
    const m = contentMatchOf('a.md', `😀 émoji ${S}règles${E}`);
    expect(marked(m)).toEqual(['règles']);
    expect(m.highlights[0]![0]).toBe('😀 émoji '.length);
  });

  it('ignores markers that open and close nothing', () => {
    expect(contentMatchOf('a.md', `${E}a ${S}${E} b ${S}`)).toEqual({ path: 'a.md', snippet: 'a b', highlights: [] });
  });

  it('cuts a long excerpt to the maximum around the first match, at spaces, keeping the matches inside', () => {
    const words = Array.from({ length: 80 }, (_, i) => `word${i}`);
    words[50] = `${S}needle${E}`;
    words[52] = `${S}needles${E}`;
    const m = contentMatchOf('a.md', words.join(' '));
    expect(m.snippet.length).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
    expect(marked(m)).toEqual(['needle', 'needles']);
    expect(m.snippet).toMatch(/^word\d+ /);
    expect(m.snippet).toMatch(/ word\d+$/);
    // Some context is kept before the match.
    expect(m.highlights[0]![0]).toBeGreaterThan(20);
  });

  it('drops a match that does not fit, rather than cutting it', () => {
    const m = contentMatchOf('a.md', `${S}first${E} ${'x'.repeat(300)} ${S}far${E}`);
    expect(m.snippet.length).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
    expect(marked(m)).toEqual(['first']);
  });

  it('never cuts a surrogate pair in half', () => {
    const m = contentMatchOf('a.md', `${'😀'.repeat(150)}${S}x${E}${'😀'.repeat(150)}`);
    expect(m.snippet.length).toBeLessThanOrEqual(SNIPPET_MAX_CHARS);
    expect(m.snippet).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    expect(marked(m)).toEqual(['x']);
  });
});
