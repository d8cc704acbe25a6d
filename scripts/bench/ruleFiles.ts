// Generated rule files for the content-search benchmark: deterministic Markdown of 2-20 KB whose
// vocabulary varies as a real registry's does. Every file draws on a few words common to all
// rules, on the words of its package's topic (a tenth of the packages each; one file in five also
// on another topic's), and on a large pool of rare made-up terms (each in a hundred files or so), so
// most searched words are selective and none is in every file.
import { seededRandom } from './seededRandom.js';

export const RULE_FILE_MIN_BYTES = 2_000;
export const RULE_FILE_MAX_BYTES = 20_000;

const COMMON = [
  'always', 'never', 'prefer', 'avoid', 'function', 'variable', 'error', 'value', 'module', 'return', 'type',
  'code', 'change', 'file', 'call', 'data', 'result', 'check', 'input', 'output', 'format', 'comment',
  'branch', 'release', 'config', 'default', 'keep', 'explicit', 'document', 'small',
];
const GLUE = ['the', 'a', 'of', 'to', 'and', 'when', 'in', 'for', 'with', 'before', 'after', 'instead of'];

/** Per topic of seedPackages' TOPICS, words that appear in no package name or description. */
const TOPIC_WORDS: Record<string, string[]> = {
  react: ['component', 'props', 'jsx', 'render', 'memo', 'reducer', 'suspense', 'hydration', 'portal', 'fragment'],
  python: ['dataclass', 'pytest', 'virtualenv', 'docstring', 'comprehension', 'decorator', 'asyncio', 'mypy', 'pydantic', 'wheel'],
  golang: ['goroutine', 'channel', 'defer', 'panic', 'gofmt', 'struct', 'mutex', 'vet', 'embedding', 'receiver'],
  rust: ['borrow', 'lifetime', 'ownership', 'trait', 'cargo', 'clippy', 'unsafe', 'enum', 'macro', 'crate'],
  security: ['injection', 'sanitize', 'secret', 'credential', 'csrf', 'xss', 'encryption', 'vault', 'rotation', 'audit'],
  docs: ['heading', 'changelog', 'readme', 'glossary', 'diagram', 'tutorial', 'anchor', 'admonition', 'footnote', 'sidebar'],
  testing: ['fixture', 'mock', 'assertion', 'coverage', 'snapshot', 'flaky', 'stub', 'property', 'mutation', 'harness'],
  lint: ['formatter', 'indentation', 'semicolon', 'whitespace', 'quotes', 'trailing', 'plugin', 'severity', 'autofix', 'linter'],
  kubernetes: ['pod', 'deployment', 'helm', 'ingress', 'configmap', 'namespace', 'kubectl', 'replica', 'probe', 'operator'],
  terraform: ['provider', 'workspace', 'backend', 'resource', 'drift', 'hcl', 'tfvars', 'tfstate', 'datasource', 'provisioner'],
};
const TOPICS_WITH_WORDS = Object.keys(TOPIC_WORDS);

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tor', 'vex', 'zu', 'pa', 'qui', 'dan', 'sel', 'bor', 'nix', 'fa', 'gru', 'hel'];
/** One of 4,096 made-up terms: "kalomi", "renvexzu"... */
export const rareWord = (n: number) =>
  `${SYLLABLES[n % 16]!}${SYLLABLES[Math.floor(n / 16) % 16]!}${SYLLABLES[Math.floor(n / 256) % 16]!}`;

/** Queries that match file text only (no package name, description or tag has these words): topic words, pairs, rare terms. */
export const CONTENT_QUERIES = [
  'goroutine',
  'borrow lifetime',
  'pydantic',
  'helm ingress',
  'hydration',
  'csrf',
  'admonition',
  'flaky snapshot',
  rareWord(1234),
  rareWord(3001),
];

/** The text of rule file `file` (0, 1, 2) of package `pkg`, whose topic is `topic`. */
export function ruleFileText(pkg: number, file: number, topic: string): string {
  const random = seededRandom(pkg * 7 + file * 104_729 + 1);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const own = TOPIC_WORDS[topic] ?? TOPIC_WORDS[TOPICS_WITH_WORDS[pkg % TOPICS_WITH_WORDS.length]!]!;
  // A few rare terms per file, reused within it, as a project's own vocabulary is.
  const rare = Array.from({ length: 6 + Math.floor(random() * 10) }, () => rareWord(Math.floor(random() * 4096)));
  // One file in five also speaks of a neighbouring topic.
  const neighbour = random() < 0.2 ? TOPIC_WORDS[pick(TOPICS_WITH_WORDS)]! : own;
  const word = () => {
    const r = random();
    if (r < 0.45) return pick(COMMON);
    if (r < 0.75) return pick(own);
    if (r < 0.8) return pick(neighbour);
    if (r < 0.88) return pick(rare);
    return pick(GLUE);
  };
  const sentence = () => {
    const words = Array.from({ length: 6 + Math.floor(random() * 12) }, word);
    const text = words.join(' ');
    return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
  };
  const target = RULE_FILE_MIN_BYTES + Math.floor(random() * (RULE_FILE_MAX_BYTES - RULE_FILE_MIN_BYTES));
  const parts = [`# ${own[file % own.length]} rules ${pkg}-${file}\n`];
  let size = parts[0]!.length;
  while (size < target) {
    const block =
      random() < 0.3
        ? `## ${pick(own)} and ${pick(COMMON)}\n`
        : random() < 0.5
          ? `${Array.from({ length: 2 + Math.floor(random() * 4) }, () => `- ${sentence()}`).join('\n')}\n`
          : `${Array.from({ length: 2 + Math.floor(random() * 4) }, sentence).join(' ')}\n`;
    parts.push(block);
    size += block.length + 1;
  }
  return parts.join('\n').slice(0, target);
}
