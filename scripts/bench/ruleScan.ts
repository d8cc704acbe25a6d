import { pathToFileURL } from 'node:url';
import { scanFiles } from '../../shared/safety/ruleScanner.js';
import { seededRandom } from './seededRandom.js';

// The rule scanner's CPU cost (`npm run bench -- scan`, or alone: `npx tsx scripts/bench/ruleScan.ts`).
// Publish scans every file of an archive before it answers, so the scan is part of a publish's
// latency: at most 100 ms of CPU for an archive of 1 MB of rules, and 1 s for the largest archive
// the validator accepts (10 MB in all, 1 MB per file, 100 files). The text is varied rule
// Markdown as real packages hold it (prose, lists, tables, code blocks, links, emoji sequences,
// text in other scripts), plus hostile megabytes built to make a careless pattern backtrack: each
// must stay linear. CPU time of this process (process.cpuUsage), median of several runs after a
// warm-up.

export interface ScanMeasurement {
  name: string;
  description: string;
  files: number;
  bytes: number;
  /** Median CPU time of one scan of the whole archive. */
  cpuMs: number;
  runsMs: number[];
  findings: number;
  /** The target this case is held to, when it has one. */
  targetMs?: number;
}

export interface ScanBenchReport {
  measurements: ScanMeasurement[];
}

const MB = 1024 * 1024;


const WORDS = (
  'always never prefer avoid use keep write return handle validate test name import export type interface function ' +
  'component state error async await promise module package dependency version release commit review branch merge ' +
  'request response status header body query schema database index transaction migration cache queue worker retry ' +
  'timeout limit log metric trace secret token session user role permission route handler service client server'
).split(' ');
// Text in other scripts, with the invisible characters real text needs (written as escapes, so
// this file holds none raw): ZWNJ in Persian, ZWJ in Hindi, emoji ZWJ sequences and a
// subdivision flag.
const ZWJ = '\u200D';
const ZWNJ = '\u200C';
const VS16 = '\uFE0F';
const ENGLAND = `\u{1F3F4}${[...'gbeng'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('')}\u{E007F}`;
const OTHER_SCRIPTS = [
  `از این قوانین برای نوشتن کد تمیز استفاده کنید؛ من می${ZWNJ}خواهم هر تابع کوتاه باشد و نام${ZWNJ}ها روشن باشند.`,
  `हर फ़ंक्शन छोटा रखें और नामों को स्पष्ट लिखें; क्${ZWJ}षमा करें, यह नियम सबके लिए है।`,
  'Используйте строгую типизацию и пишите тесты для каждой публичной функции TypeScript.',
  'Χρησιμοποιήστε αυστηρούς τύπους και γράφετε δοκιμές για κάθε δημόσια συνάρτηση.',
  '関数は短く保ち、名前は明確にしてください。テストを必ず書きましょう。',
  `Team work 👨${ZWJ}👩${ZWJ}👧 with pride 🏳${VS16}${ZWJ}🌈, shipped ✅ on time ⏱${VS16} from ${ENGLAND}, by 👩🏽${ZWJ}💻.`,
];

function sentence(next: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(next() * WORDS.length)]!);
  const s = out.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

const hex = (next: () => number, n: number) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('');

/** One section of rule Markdown, of a kind chosen at random. */
function section(next: () => number, i: number): string {
  switch (Math.floor(next() * 8)) {
    case 0:
      return `## Section ${i}\n\n${Array.from({ length: 4 }, () => sentence(next, 8 + Math.floor(next() * 12))).join(' ')}\n`;
    case 1:
      return Array.from({ length: 6 }, () => `- ${sentence(next, 5 + Math.floor(next() * 8))}`).join('\n') + '\n';
    case 2:
      return [
        '```ts',
        `export async function handle${i}(request: Request): Promise<Response> {`,
        `  const body = await request.json(); // ${sentence(next, 6)}`,
        `  if (!body) return new Response('missing body', { status: 400 });`,
        `  return Response.json({ ok: true, id: ${i} });`,
        '}',
        '```',
        '',
      ].join('\n');
    case 3:
      return [
        '```sh',
        `curl -fsSL https://example.com/releases/v${i}/tool.tar.gz -o tool.tar.gz`,
        `echo "${hex(next, 64)}  tool.tar.gz" | sha256sum -c -`,
        'tar xzf tool.tar.gz && ./tool --version',
        '```',
        '',
      ].join('\n');
    case 4:
      return [
        '| rule | why | since |',
        '|------|-----|-------|',
        ...Array.from({ length: 4 }, (_, k) => `| ${WORDS[(i + k) % WORDS.length]} | ${sentence(next, 6)} | v${k}.${i % 10} |`),
        '',
      ].join('\n');
    case 5:
      return `See the [guide][guide-${i}] and [the API](https://docs.example.com/api/${i}#section) or http://127.0.0.1:8080/v1/health.\n\n[guide-${i}]: https://docs.example.com/guide/${i} "Guide"\n`;
    case 6:
      return `${OTHER_SCRIPTS[i % OTHER_SCRIPTS.length]}\n`;
    default:
      return `> **Note** ${sentence(next, 12)} Use \`npm run build\` and \`const x = ${i};\`.\n`;
  }
}

/** Rule Markdown of about `bytes` UTF-16 units (near enough to bytes: mostly ASCII). */
export function variedRuleText(bytes: number, seed: number): string {
  const next = seededRandom(seed);
  const parts: string[] = [`---\ndescription: Rules ${seed}\nglobs: ["**/*.ts"]\n---\n# Rules ${seed}\n`];
  let size = parts[0]!.length;
  for (let i = 0; size < bytes; i++) {
    const s = section(next, i);
    parts.push(s);
    size += s.length + 1;
  }
  return parts.join('\n');
}

/** Megabytes built to make a careless pattern backtrack or a careless loop go quadratic. */
const HOSTILE: Array<{ name: string; build: () => string }> = [
  { name: 'zero-width spaces', build: () => '\u200B'.repeat(MB) },
  { name: 'one line of base64 letters without digits', build: () => 'aB'.repeat(MB / 2) },
  { name: '127-character words', build: () => `${'a'.repeat(127)} `.repeat(MB / 128) },
  { name: '"curl " without a pipe on one line', build: () => 'curl '.repeat(MB / 5) },
  { name: 'blanks without text', build: () => ' '.repeat(MB) },
  { name: 'newlines with blanks', build: () => '\n \t'.repeat(MB / 3) },
  { name: 'unclosed comments in inline code', build: () => '`<!--` '.repeat(MB / 7) },
  { name: 'link definitions with prose titles', build: () => '[a]: /x "one two three four"\n'.repeat(MB / 30) },
  { name: 'Latin and Cyrillic letters alternating', build: () => 'aа'.repeat(MB / 2) },
  { name: 'bidi controls', build: () => '\u202E\u202C'.repeat(MB / 2) },
  { name: 'private key headers without an end', build: () => '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(MB / 32) },
  { name: 'downloads piped into sh on one line', build: () => 'curl x | sh; '.repeat(MB / 13) },
  { name: 'emoji joined by ZWJ', build: () => `\u{1F468}${ZWJ}`.repeat(MB / 3) },
];

function cpuMsOf(run: () => unknown): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function measure(name: string, description: string, files: Array<{ path: string; text: string }>, runs: number, targetMs?: number): ScanMeasurement {
  let findings = scanFiles({ files }).length; // warm-up (and the findings count)
  findings = scanFiles({ files }).length;
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push(Math.round(cpuMsOf(() => scanFiles({ files })) * 10) / 10);
  const sorted = [...runsMs].sort((a, b) => a - b);
  const bytes = files.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0);
  return { name, description, files: files.length, bytes, cpuMs: sorted[Math.floor((sorted.length - 1) / 2)]!, runsMs, findings, ...(targetMs ? { targetMs } : {}) };
}

const archive = (count: number, bytesEach: number) =>
  Array.from({ length: count }, (_, i) => ({ path: `rules/part-${i}.md`, text: variedRuleText(bytesEach, i + 1) }));

export function runScanBench(log: (line: string) => void = console.log): ScanBenchReport {
  const measurements: ScanMeasurement[] = [];
  const add = (m: ScanMeasurement) => {
    measurements.push(m);
    const target = m.targetMs ? ` (target ≤ ${m.targetMs} ms: ${m.cpuMs <= m.targetMs ? 'met' : 'NOT MET'})` : '';
    log(`scan ${m.name}: ${m.files} files, ${(m.bytes / MB).toFixed(2)} MB, ${m.findings} findings, CPU ${m.cpuMs} ms median of [${m.runsMs.join(', ')}]${target}`);
  };
  add(measure('1mb', '1 MB of varied rule Markdown in 10 files', archive(10, MB / 10), 9, 100));
  add(measure('10mb-10-files', 'the largest archive: 10 files of 1 MB', archive(10, MB), 5, 1000));
  add(measure('10mb-100-files', 'the largest archive: 100 files of 100 KB', archive(100, MB / 10), 5, 1000));
  for (const h of HOSTILE) add(measure(`hostile: ${h.name}`, `1 MB of ${h.name} in one file`, [{ path: 'hostile.md', text: h.build() }], 3));
  return { measurements };
}

/** The performance targets, for the bench report. */
export function scanTargets(report: ScanBenchReport): Array<{ what: string; value: string; ok: boolean }> {
  return report.measurements
    .filter((m) => m.targetMs !== undefined)
    .map((m) => ({ what: `rule scan of ${m.description}: CPU ≤ ${m.targetMs} ms`, value: `${m.cpuMs} ms (median)`, ok: m.cpuMs <= m.targetMs! }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = runScanBench();
  const missed = scanTargets(report).filter((t) => !t.ok);
  if (missed.length) {
    console.error(`targets not met: ${missed.map((t) => `${t.what} (${t.value})`).join('; ')}`);
    process.exitCode = 1;
  }
}
