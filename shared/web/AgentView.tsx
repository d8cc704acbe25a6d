import { revealHidden } from '../safety/revealHidden.js';

/**
 * A file as an agent reads it, shown to a person: the text as it is, except that what a rendered
 * page or an editor would hide is made visible. Invisible characters become labelled markers
 * (`⟨U+200B ZERO WIDTH SPACE⟩`; tag characters spelled out), HTML comments marked blocks.
 */
export function AgentView({ text }: { text: string }) {
  return (
    <pre class="agent-view">
      <code>
        {revealHidden(text).map((segment, i) =>
          segment.kind === 'text' ? (
            segment.text
          ) : segment.kind === 'invisible' ? (
            <span key={i} class="hidden-char">
              ⟨{segment.label}⟩
            </span>
          ) : (
            <span key={i} class="hidden-comment">
              <strong>Hidden HTML comment (dropped by rendered Markdown, read by agents):</strong>
              {'\n'}
              {segment.text}
            </span>
          ),
        )}
      </code>
    </pre>
  );
}
