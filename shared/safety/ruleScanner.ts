import { escapeHidden } from './characterNames.js';
import { CodeBlocks } from './codeSpans.js';
import { excerptOf, type Redaction } from './excerpt.js';
import type { Emit, RawFinding } from './finding.js';
import { findHiddenLinkDefinitions, findHtmlComments, findWhitespaceHiddenText } from './hiddenTextRules.js';
import { findMixedScriptWords } from './mixedScript.js';
import { findEncodedBlobs, findRawIpUrls, findRemoteCodeExecution } from './payloadRules.js';
import { defaultSeverity, isFlagRule, type Finding, type RuleId } from './rules.js';
import { findSecrets, redact, redactSecrets } from './secretPatterns.js';
import { findHiddenCharacters } from './unicodeRules.js';

// The rule scanner: finds in a rule package what a person reviewing it would not see but an
// agent reading it would (the "Rules File Backdoor": hidden Unicode, hidden Markdown, text
// pushed out of sight), credentials that must not be published, and instructions worth a
// reader's attention. Pure: text in, findings out.

export { FLAG_RULES, REFUSE_RULES, isFlagRule, type Finding, type FlagRuleId, type RuleId, type Severity } from './rules.js';

/**
 * Bumped whenever a rule changes what it finds. Stored with each scanned version, so versions
 * scanned by an older scanner can be found and scanned again.
 */
export const SCANNER_VERSION = 1;

/**
 * At most this many findings per scanned text (a file, a file name, a manifest field): the first
 * ones by position. A hostile archive (100 files of a megabyte of zero-width spaces) thus gets an
 * answer of bounded size, and each rule stops looking once it has found this many.
 */
export const MAX_FINDINGS_PER_FILE = 50;

export interface ScanInput {
  files: ReadonlyArray<{ path: string; text: string }>;
  /** The manifest's free-text fields (description, tags…), reported as `rulestack.json#<field>`. */
  manifestText?: ReadonlyArray<{ field: string; text: string }>;
}

type TextKind = 'markdown' | 'text' | 'name' | 'manifest';

function kindOf(path: string): TextKind {
  return /\.(?:md|mdc|markdown)$/i.test(path) ? 'markdown' : 'text';
}

/**
 * Every file's text and name, and the manifest's text fields. Sorted by file (a file's name
 * before its text), then line and column.
 */
export function scanFiles(input: ScanInput): Finding[] {
  const scanned: Array<{ file: string; findings: Finding[] }> = [];
  for (const { path, text } of input.files) {
    scanned.push({ file: path, findings: [...scanText(`${path}#name`, path, 'name'), ...scanText(path, text, kindOf(path))] });
  }
  for (const { field, text } of input.manifestText ?? []) {
    const file = `rulestack.json#${field}`;
    scanned.push({ file, findings: scanText(file, text, 'manifest') });
  }
  scanned.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return scanned.flatMap((s) => s.findings);
}

function scanText(file: string, text: string, kind: TextKind): Finding[] {
  const raw: RawFinding[] = [];
  const counts = new Map<RuleId, number>();
  const emit: Emit = (f) => {
    const n = (counts.get(f.rule) ?? 0) + 1;
    counts.set(f.rule, n);
    if (n <= MAX_FINDINGS_PER_FILE) raw.push(f);
    return n < MAX_FINDINGS_PER_FILE;
  };

  findHiddenCharacters(text, emit);
  findMixedScriptWords(text, emit);
  const redactions: Redaction[] = [];
  if (kind !== 'name') {
    for (const s of findSecrets(text)) {
      const replacement = redact(s.pattern, s.secret);
      redactions.push({ start: s.start, end: s.end, replacement });
      emit({
        rule: s.pattern.rule,
        start: s.start,
        end: s.end,
        message: `${s.pattern.what} (${replacement}), public once published: remove it and revoke it`,
        excerpt: replacement,
      });
    }
    redactions.sort((a, b) => a.start - b.start);
    findRemoteCodeExecution(text, emit);
    findRawIpUrls(text, emit);
    findEncodedBlobs(text, emit);
    findWhitespaceHiddenText(text, emit);
  }
  if (kind === 'markdown' || kind === 'manifest') {
    const code = new CodeBlocks(kind === 'markdown' ? text : '');
    findHtmlComments(text, code, emit);
    if (kind === 'markdown') findHiddenLinkDefinitions(text, code, emit);
  }

  raw.sort((a, b) => a.start - b.start || (a.rule < b.rule ? -1 : 1));
  return positioned(file, text, raw.slice(0, MAX_FINDINGS_PER_FILE), redactions);
}

/** Lines and code-point columns of findings sorted by offset, in one pass over the text. */
function positioned(file: string, text: string, raw: readonly RawFinding[], redactions: readonly Redaction[]): Finding[] {
  let line = 1;
  let lineStart = 0;
  let nextNewline = text.indexOf('\n');
  let columnAt = 0;
  let column = 1;
  return raw.map((f) => {
    while (nextNewline >= 0 && nextNewline < f.start) {
      line++;
      lineStart = nextNewline + 1;
      nextNewline = text.indexOf('\n', lineStart);
    }
    if (columnAt < lineStart) {
      columnAt = lineStart;
      column = 1;
    }
    for (; columnAt < f.start; columnAt++) {
      // A low surrogate after a high one is the second half of one code point.
      const unit = text.charCodeAt(columnAt);
      if ((unit & 0xfc00) !== 0xdc00 || columnAt === lineStart || (text.charCodeAt(columnAt - 1) & 0xfc00) !== 0xd800) column++;
    }
    return {
      file,
      line,
      column,
      rule: f.rule,
      severity: defaultSeverity(f.rule),
      message: f.message,
      excerpt: f.excerpt ?? excerptOf(text, f.start, f.end, redactions),
    };
  });
}

/**
 * The findings with a registry's policy applied: the flag rules it lists become refusals there.
 * Ids that are not flag rules are ignored (refusals stay refusals; an id a later scanner dropped
 * changes nothing).
 */
export function applyRegistryPolicy(findings: readonly Finding[], refuseRules: readonly string[]): Finding[] {
  const raised: ReadonlySet<string> = new Set(refuseRules.filter(isFlagRule));
  return findings.map((f) => (f.severity === 'flag' && raised.has(f.rule) ? { ...f, severity: 'refuse' } : f));
}

const REFUSALS_LISTED = 10;
const PATH_SHOWN_MAX = 200;

/** Printable anywhere: hidden characters escaped, credentials redacted, length bounded. */
function printable(text: string, max = PATH_SHOWN_MAX): string {
  const safe = escapeHidden(redactSecrets(text));
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

function where(f: Finding): string {
  if (f.file.endsWith('#name')) return `the file name ${printable(f.file.slice(0, -'#name'.length))} (column ${f.column})`;
  return `${printable(f.file)} line ${f.line}, column ${f.column}`;
}

/**
 * The body of a refused publish's 400: a sentence naming the first refusal, then the refusals
 * one per line (at most 10), then how many more there are. Printed by `rfh` after
 * "publish failed (status 400): ", so plain text without a raw hidden character or a credential.
 * Empty when nothing is refused.
 */
export function refusalMessage(findings: readonly Finding[]): string {
  const refused = findings.filter((f) => f.severity === 'refuse');
  const first = refused[0];
  if (!first) return '';
  const lines = [`Refused: ${where(first)} has ${printable(first.message, 1000)}.`];
  for (const f of refused.slice(0, REFUSALS_LISTED)) {
    const at = f.file.endsWith('#name') ? `${printable(f.file)}:${f.column}` : `${printable(f.file)}:${f.line}:${f.column}`;
    lines.push(`  ${at} ${f.rule}: ${printable(f.message, 1000)}`);
  }
  const rest = refused.length - REFUSALS_LISTED;
  if (rest > 0) lines.push(`  …and ${rest} more refused finding${rest === 1 ? '' : 's'}.`);
  return lines.join('\n');
}
