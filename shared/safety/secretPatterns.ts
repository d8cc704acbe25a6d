import type { RefuseRuleId } from './rules.js';

// Credentials a rule package must never carry: a publish holding one is refused, and no finding,
// message or excerpt ever repeats more of it than its public prefix and its length.

export interface SecretPattern {
  rule: RefuseRuleId;
  /** What it is, for messages: "an AWS access key ID". */
  what: string;
  /** Global; where the credential sits inside some context, group 1 is the credential itself. */
  pattern: RegExp;
  /** The part of a match that says what it is and nothing of the secret (`AKIA`, `ghp_`). */
  prefix: RegExp;
  /** Shape checks the pattern alone cannot express. */
  accept?: (secret: string) => boolean;
  /** False where real credentials have long runs of one character (DER bodies of keys: AAAAAAA). */
  placeholders?: false;
}

/** Letters of both cases and a digit: what a random token has and an identifier rarely does. */
const looksRandom = (s: string) => /[0-9]/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s);

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    // gitleaks `private-key` (a PEM or PGP block with a body of at least 64 characters); the body
    // must also hold base64, so a guide quoting the BEGIN and END lines around "..." is fine.
    // The pattern is the header: the block's end is found by findSecrets (see privateKeyBlocks).
    rule: 'private-key',
    what: 'a private key',
    pattern: /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/g,
    prefix: /^-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/,
    accept: (block) => /[A-Za-z0-9+/]{40,}/.test(block),
    placeholders: false,
  },
  {
    // AWS IAM "Unique identifiers" (AKIA long-term, ASIA temporary keys); gitleaks `aws-access-token`.
    rule: 'aws-access-key',
    what: 'an AWS access key ID',
    pattern: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g,
    prefix: /^[A-Z0-9]{4}/,
  },
  {
    // The secret half of an AWS key pair is 40 base64 characters with no prefix of its own, so it
    // is recognised only where it is named, as secretlint's `@secretlint/secretlint-rule-aws` does.
    rule: 'aws-secret-key',
    what: 'an AWS secret access key',
    pattern: /\baws_?secret_?(?:access_?)?key["']?\s{0,4}[:=]\s{0,4}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/dgi,
    prefix: /^(?!)/,
    accept: looksRandom,
  },
  {
    // GitHub's token formats (docs: "About authentication to GitHub", GitHub's token formats):
    // ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_ server-to-server, ghr_ refresh, all
    // with 36 characters; github_pat_ fine-grained. gitleaks `github-pat`, `github-oauth`,
    // `github-app-token`, `github-refresh-token`, `github-fine-grained-pat`.
    rule: 'github-token',
    what: 'a GitHub token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b/g,
    prefix: /^(?:gh[pousr]_|github_pat_)/,
  },
  {
    // npm access tokens (docs.npmjs.com, "About access tokens": npm_ and 36 characters); gitleaks `npm-access-token`.
    rule: 'npm-token',
    what: 'an npm access token',
    pattern: /\bnpm_[A-Za-z0-9]{36}\b/g,
    prefix: /^npm_/,
  },
  {
    // Slack token types (api.slack.com "Token types": xoxb bot, xoxp user, xoxa/xoxr/xoxs); gitleaks
    // `slack-bot-token`, `slack-user-token`, `slack-legacy-token`: numeric team and user parts, then the secret.
    rule: 'slack-token',
    what: 'a Slack token',
    pattern: /\bxox[baprs]-(?:[0-9]{6,14}-){1,3}[A-Za-z0-9-]{8,64}/g,
    prefix: /^xox[baprs]-/,
  },
  {
    // Slack incoming webhooks (api.slack.com "Sending messages using incoming webhooks": the URL is
    // the secret); gitleaks `slack-webhook-url`.
    rule: 'slack-webhook',
    what: 'a Slack webhook URL',
    pattern: /\bhttps?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/_]{30,120}/g,
    prefix: /^https?:\/\/hooks\.slack\.com\/[a-z]+\//,
  },
  {
    // Anthropic API keys (sk-ant-api03-…, admin keys sk-ant-admin01-…); gitleaks `anthropic-api-key`
    // and `anthropic-admin-api-key`, loosened to any sk-ant-<kind>- prefix. Before openai-key,
    // whose sk- prefix it shares.
    rule: 'anthropic-key',
    what: 'an Anthropic API key',
    pattern: /\bsk-ant-[a-z]{2,12}[0-9]{0,3}-[A-Za-z0-9_-]{32,200}/g,
    prefix: /^sk-ant-[a-z]{2,12}[0-9]{0,3}-/,
    accept: looksRandom,
  },
  {
    // OpenAI API keys: the original sk- and 48 characters, and the project, service-account and
    // admin keys (sk-proj-, sk-svcacct-, sk-admin-); gitleaks `openai-api-key` mirrors the same shapes.
    rule: 'openai-key',
    what: 'an OpenAI API key',
    pattern: /\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250}|[A-Za-z0-9]{40,100}\b)/g,
    prefix: /^sk-(?:proj-|svcacct-|admin-)?/,
    accept: looksRandom,
  },
];

/**
 * Documented placeholders, which security rules quote: AWS's AKIAIOSFODNN7EXAMPLE and
 * wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY (anything holding EXAMPLE), and the x-ed out or
 * counting placeholders of other vendors' documentation (ghp_xxxx…, T00000000/B00000000/XXXX…),
 * as SonarQube's secret rules skip them (a character repeated 7 times, "123456").
 */
export function isPlaceholder(secret: string): boolean {
  return /example/i.test(secret) || /([A-Za-z0-9])\1{6}/.test(secret) || /123456|abcdef(?:gh|12)/i.test(secret);
}

/** A credential as messages may show it: `AKIA… (20 characters)`. */
export function redact(pattern: SecretPattern, secret: string): string {
  const prefix = pattern.prefix.exec(secret)?.[0] ?? '';
  return `${prefix}… (${secret.length} characters)`;
}

export interface SecretMatch {
  pattern: SecretPattern;
  /** Offsets of the credential itself (within any context the pattern needed). */
  start: number;
  end: number;
  secret: string;
}

const PRIVATE_KEY_END = /-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/g;
const PRIVATE_KEY_BODY = { min: 64, max: 16384 };

/**
 * The end of the private key block whose header ends at `headerEnd`, or undefined. The END lines
 * are listed once per text and looked up, so a megabyte of headers without an end costs one pass
 * (a lazy pattern from each header to its END line would read up to 16 KB per header).
 */
function privateKeyBlocks(text: string): (headerEnd: number) => number | undefined {
  let ends: Array<{ start: number; end: number }> | undefined;
  return (headerEnd) => {
    if (!ends) {
      ends = [];
      const re = new RegExp(PRIVATE_KEY_END);
      for (let m = re.exec(text); m; m = re.exec(text)) ends.push({ start: m.index, end: m.index + m[0].length });
    }
    let low = 0;
    let high = ends.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (ends[mid]!.start < headerEnd + PRIVATE_KEY_BODY.min) low = mid + 1;
      else high = mid;
    }
    const next = ends[low];
    return next && next.start - headerEnd <= PRIVATE_KEY_BODY.max ? next.end : undefined;
  };
}

/** Every credential in the text, pattern by pattern (each pattern's matches in order). */
export function* findSecrets(text: string): Generator<SecretMatch> {
  const blockEnd = privateKeyBlocks(text);
  for (const pattern of SECRET_PATTERNS) {
    const re = new RegExp(pattern.pattern);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (pattern.rule === 'private-key') {
        const end = blockEnd(m.index + m[0].length);
        if (end === undefined) continue;
        const block = text.slice(m.index, end);
        re.lastIndex = end;
        if (pattern.accept?.(block)) yield { pattern, start: m.index, end, secret: block };
        continue;
      }
      const start = m[1] !== undefined && m.indices?.[1] ? m.indices[1][0] : m.index;
      const secret = m[1] ?? m[0];
      if ((pattern.placeholders !== false && isPlaceholder(secret)) || (pattern.accept && !pattern.accept(secret))) continue;
      yield { pattern, start, end: start + secret.length, secret };
    }
  }
}

/** The text with every credential in it replaced by its redaction (for short texts: messages). */
export function redactSecrets(text: string): string {
  const found = [...findSecrets(text)].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const s of found) {
    if (s.start < at) continue;
    out += text.slice(at, s.start) + redact(s.pattern, s.secret);
    at = s.end;
  }
  return out + text.slice(at);
}
