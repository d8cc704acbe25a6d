import MarkdownIt from 'markdown-it';

/**
 * Rule files as a person reads them. Publishers' Markdown is untrusted: raw HTML is off (tags,
 * comments and entities of HTML show as the text they are, which is also what an agent reads),
 * markdown-it refuses `javascript:`, `vbscript:`, `file:` and `data:` link targets, links are
 * marked `nofollow ugc` and open nothing with the page's privileges, and images become links, so
 * that a page never fetches a publisher's URL (a tracking pixel would learn who reads it).
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  tokens[idx]!.attrSet('rel', 'nofollow ugc noopener noreferrer');
  return self.renderToken(tokens, idx, options);
};

md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet('src') ?? '');
  const alt = token.content || 'image';
  return `<a href="${md.utils.escapeHtml(src)}" rel="nofollow ugc noopener noreferrer">[image: ${md.utils.escapeHtml(alt)}]</a>`;
};

/** Headings of a file sit under the page's own headings: shifted down, at most h6. */
const HEADING_OFFSET = 3;
const shiftHeading: NonNullable<typeof md.renderer.rules.heading_open> = (tokens, idx, options, _env, self) => {
  const token = tokens[idx]!;
  token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + HEADING_OFFSET)}`;
  return self.renderToken(tokens, idx, options);
};
md.renderer.rules.heading_open = shiftHeading;
md.renderer.rules.heading_close = shiftHeading;

// Table alignment as a class: the CSP forbids style attributes, which markdown-it would write.
for (const cell of ['th_open', 'td_open'] as const) {
  md.renderer.rules[cell] = (tokens, idx, options, _env, self) => {
    const token = tokens[idx]!;
    const style = token.attrGet('style');
    if (style) {
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
      const align = /text-align:(\w+)/.exec(String(style))?.[1];
      if (align) token.attrJoin('class', `align-${align}`);
    }
    return self.renderToken(tokens, idx, options);
  };
}

/** Cursor's `.mdc` rules start with YAML front matter between `---` lines: shown as it is, not as Markdown. */
const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

export interface RenderedMarkdown {
  /** The front matter's text, when the file has one. */
  frontMatter: string | null;
  /** Safe HTML of the rest. */
  html: string;
}

export function renderMarkdown(text: string): RenderedMarkdown {
  const front = FRONT_MATTER.exec(text);
  return {
    frontMatter: front ? front[1]! : null,
    html: md.render(front ? text.slice(front[0].length) : text),
  };
}

/** Whether a file is shown rendered as Markdown (else as text). */
export const isMarkdownPath = (path: string) => /\.(md|mdc)$/i.test(path);
