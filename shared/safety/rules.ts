// The rules of the rule scanner: each finding names one of these ids, which stay stable across
// scanner versions (stored findings, registry policies and the web pages refer to them).

/** Refused: a publish carrying one of these is rejected (400). */
export const REFUSE_RULES = [
  'unicode-tag',
  'bidi-control',
  'invisible-character',
  'zero-width-joiner',
  'variation-selector',
  'private-key',
  'aws-access-key',
  'aws-secret-key',
  'github-token',
  'npm-token',
  'slack-token',
  'slack-webhook',
  'openai-key',
  'anthropic-key',
] as const;

/**
 * Flagged: accepted and stored with the version, shown to readers. A registry admin may turn any
 * of these into refusals for their registry (applyRegistryPolicy), so this list is also what a
 * registry's configuration is validated against.
 */
export const FLAG_RULES = [
  'html-comment',
  'hidden-link-definition',
  'whitespace-hidden-text',
  'remote-code-execution',
  'raw-ip-url',
  'encoded-blob',
  'mixed-script-word',
  'control-character',
] as const;

export type RefuseRuleId = (typeof REFUSE_RULES)[number];
export type FlagRuleId = (typeof FLAG_RULES)[number];
export type RuleId = RefuseRuleId | FlagRuleId;
export type Severity = 'refuse' | 'flag';

const refused: ReadonlySet<string> = new Set(REFUSE_RULES);
const flagged: ReadonlySet<string> = new Set(FLAG_RULES);

export const isFlagRule = (id: string): id is FlagRuleId => flagged.has(id);
export const defaultSeverity = (rule: RuleId): Severity => (refused.has(rule) ? 'refuse' : 'flag');

/**
 * One thing the scanner found. `line` and `column` are 1-based, the column counted in Unicode code
 * points (an astral character such as an emoji counts once). `file` is the archive path; a finding
 * in a file's name has `file` = `<path>#name` (line 1, the column within the path), and one in a
 * manifest field `rulestack.json#<field>`. `excerpt` never holds a raw invisible or control
 * character (they read `⟨U+XXXX⟩`) nor a whole credential (`AKIA… (20 characters)`), and is
 * bounded in length.
 */
export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: RuleId;
  severity: Severity;
  message: string;
  excerpt: string;
}
