import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { LambdaReport } from './lambda.js';
import type { LoadResult } from './load.js';
import { scanTargets, type ScanBenchReport } from './ruleScan.js';

// The bench's HTML report: one self-contained page (inline CSS, hand-written inline SVG, no
// script, no external resource) rendered from the results JSON. Also a CLI to re-render a page
// from a results file: `npx tsx scripts/bench/report.ts bench/results/<date>.json`.

export interface Scenario {
  name: string;
  group: string;
  description: string;
  result: LoadResult;
  notes?: Record<string, unknown>;
}

export interface BenchResult {
  date: string;
  wallSeconds: number;
  groups: string[];
  machine: {
    cores: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    platform: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd?: number[];
    postgres?: string;
    git?: { commit: string; dirty: boolean };
  };
  /** Median argon2id verify time, and the login rate the machine's cores allow at that cost. */
  hashMs: number;
  /** Verifies per second with one in flight per core (the physical limit; see hashBound.ts). */
  hashBoundPerSecond: number;
  /** cores × 1000 / hashMs (absent in results from before it was measured both ways). */
  hashBoundIdealPerSecond?: number;
  scenarios: Scenario[];
  searchPlan?: string;
  lambda?: LambdaReport;
  /** The rule scanner's CPU per archive (group scan). */
  scan?: ScanBenchReport;
  /** Scenarios that could not run. */
  failures?: Array<{ scenario: string; error: string }>;
}

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** An axis tick: as many decimals as the step needs, none for 0. */
function tickFmt(t: number, step: number): string {
  let d = 0;
  while (d < 3 && Math.abs(step * 10 ** d - Math.round(step * 10 ** d)) > 1e-9) d++;
  return t.toLocaleString('en-US', { minimumFractionDigits: t === 0 ? 0 : d, maximumFractionDigits: d });
}

/** A round axis maximum (1, 2, 2.5, 5 x 10^k) at or above v, and its tick step. */
function niceScale(v: number, ticks = 4): { max: number; step: number } {
  if (!(v > 0)) return { max: 1, step: 0.25 };
  const raw = v / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { max: Math.ceil(v / step - 1e-9) * step, step };
}

const COLORS = { p50: '#4c78a8', p95: '#f58518', p99: '#e45756', tput: '#54a24b', import: '#9d755d', first: '#b279a2', warm50: '#4c78a8', warm95: '#f58518' };

/** Vertical bars with a y axis; `groups` of bars share one x label each. */
function barChart(opts: {
  width: number;
  height: number;
  unit: string;
  groups: Array<{ label: string; bars: Array<{ value: number; color: string; label?: string }> }>;
  reference?: { value: number; label: string };
  max?: number;
}): string {
  const { width, height, unit } = opts;
  const left = 46;
  const right = 8;
  const top = 18;
  const bottom = 34;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const all = opts.groups.flatMap((g) => g.bars.map((b) => b.value));
  const { max, step } = niceScale(Math.max(opts.max ?? 0, ...all, opts.reference?.value ?? 0) * 1.08);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(t)}" y2="${y(t)}" class="grid"/>`);
    parts.push(`<text x="${left - 5}" y="${y(t) + 3.5}" class="tick" text-anchor="end">${esc(tickFmt(t, step))}</text>`);
  }
  parts.push(`<text x="4" y="${top - 6}" class="unit">${esc(unit)}</text>`);
  const groupW = plotW / opts.groups.length;
  opts.groups.forEach((g, gi) => {
    const n = g.bars.length;
    const barW = Math.min(38, (groupW * 0.78) / n);
    const x0 = left + gi * groupW + (groupW - barW * n) / 2;
    g.bars.forEach((b, bi) => {
      const x = x0 + bi * barW;
      const h = Math.max(1, (b.value / max) * plotH);
      parts.push(`<rect x="${x + 1}" y="${top + plotH - h}" width="${barW - 2}" height="${h}" fill="${b.color}"><title>${esc(b.label ?? '')} ${esc(fmt(b.value))} ${esc(unit)}</title></rect>`);
      // Value labels only where they fit (a table next to grouped charts carries the numbers).
      if (barW >= 30 || opts.groups.length === 1) parts.push(`<text x="${x + barW / 2}" y="${top + plotH - h - 4}" class="val" text-anchor="middle">${esc(fmt(b.value))}</text>`);
      if (b.label && n > 1 && opts.groups.length === 1) parts.push(`<text x="${x + barW / 2}" y="${top + plotH + 14}" class="lbl" text-anchor="middle">${esc(b.label)}</text>`);
    });
    if (opts.groups.length > 1 || n === 1) parts.push(`<text x="${left + gi * groupW + groupW / 2}" y="${top + plotH + 14}" class="lbl" text-anchor="middle">${esc(g.label)}</text>`);
  });
  if (opts.reference) {
    const ry = y(opts.reference.value);
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${ry}" y2="${ry}" class="ref"/>`);
    parts.push(`<text x="${width - right - 2}" y="${ry - 4}" class="reflbl" text-anchor="end">${esc(opts.reference.label)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" class="axis"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`;
}

/** Horizontal stacked bars, one row per label. */
function hbarChart(opts: {
  width: number;
  unit: string;
  rows: Array<{ label: string; segments: Array<{ value: number; color: string; name: string }> }>;
}): string {
  const rowH = 26;
  const left = 150;
  const right = 60;
  const top = 22;
  const height = top + opts.rows.length * rowH + 26;
  const totals = opts.rows.map((r) => r.segments.reduce((s, x) => s + x.value, 0));
  const { max, step } = niceScale(Math.max(...totals, 0) * 1.02);
  const plotW = opts.width - left - right;
  const x = (v: number) => left + (v / max) * plotW;
  const parts: string[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${height - 22}" class="grid"/>`);
    parts.push(`<text x="${x(t)}" y="${height - 8}" class="tick" text-anchor="middle">${esc(tickFmt(t, step))}</text>`);
  }
  parts.push(`<text x="${opts.width - 4}" y="${height - 8}" class="unit" text-anchor="end">${esc(opts.unit)}</text>`);
  opts.rows.forEach((r, i) => {
    const ry = top + i * rowH;
    parts.push(`<text x="${left - 8}" y="${ry + rowH / 2 + 2}" class="lbl" text-anchor="end">${esc(r.label)}</text>`);
    let acc = 0;
    for (const s of r.segments) {
      parts.push(`<rect x="${x(acc)}" y="${ry + 4}" width="${Math.max(1, x(acc + s.value) - x(acc))}" height="${rowH - 10}" fill="${s.color}"><title>${esc(s.name)} ${esc(fmt(s.value))} ${esc(opts.unit)}</title></rect>`);
      acc += s.value;
    }
    parts.push(`<text x="${x(acc) + 5}" y="${ry + rowH / 2 + 2}" class="val">${esc(fmt(acc))}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${opts.width}" height="${height}" viewBox="0 0 ${opts.width} ${height}" role="img">${parts.join('')}</svg>`;
}

const legend = (items: Array<[string, string]>) =>
  `<div class="legend">${items.map(([c, l]) => `<span><i style="background:${c}"></i>${esc(l)}</span>`).join('')}</div>`;

function scenarioCard(s: Scenario, r: BenchResult, maxThroughput: number): string {
  const res = s.result;
  const latency = barChart({
    width: 330,
    height: 200,
    unit: 'latency, ms',
    groups: [
      {
        label: '',
        bars: [
          { value: res.latencyMs.p50, color: COLORS.p50, label: 'p50' },
          { value: res.latencyMs.p95, color: COLORS.p95, label: 'p95' },
          { value: res.latencyMs.p99, color: COLORS.p99, label: 'p99' },
        ],
      },
    ],
  });
  // Login cards are read against the hash-bound limit measured around them; the others share
  // one scale.
  const isLogin = s.name.startsWith('login');
  const bound = loginBound(s, r);
  const throughput = barChart({
    width: 170,
    height: 200,
    unit: 'req/s',
    max: isLogin ? bound : maxThroughput,
    groups: [{ label: 'throughput', bars: [{ value: res.throughput, color: COLORS.tput }] }],
    ...(isLogin ? { reference: { value: bound, label: `hash bound ${fmt(bound)}` } } : {}),
  });
  const bad = res.non2xx > 0 || res.errors > 0 || res.timeouts > 0;
  const codes = Object.entries(res.statusCodes)
    .map(([c, n]) => `${c}: ${n}`)
    .join(', ');
  const notes = s.notes ? `<div class="notes">${Object.entries(s.notes).map(([k, v]) => `<span>${esc(k)}: <b>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</b></span>`).join(' ')}</div>` : '';
  let kinds = '';
  if (res.byKind) {
    const entries = Object.entries(res.byKind).sort((a, b) => b[1].requests - a[1].requests);
    kinds =
      `<div class="kinds">` +
      barChart({
        width: 560,
        height: 200,
        unit: 'latency by request kind, ms',
        groups: entries.map(([k, v]) => ({
          label: k,
          bars: [
            { value: v.latencyMs.p50, color: COLORS.p50, label: 'p50' },
            { value: v.latencyMs.p95, color: COLORS.p95, label: 'p95' },
            { value: v.latencyMs.p99, color: COLORS.p99, label: 'p99' },
          ],
        })),
      }) +
      `<table class="small"><tr><th>kind</th><th>requests</th><th>non-2xx</th><th>p50</th><th>p95</th><th>p99</th></tr>` +
      entries
        .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v.requests}</td><td class="${v.non2xx ? 'bad' : ''}">${v.non2xx}</td><td>${fmt(v.latencyMs.p50)}</td><td>${fmt(v.latencyMs.p95)}</td><td>${fmt(v.latencyMs.p99)}</td></tr>`)
        .join('') +
      `</table></div>`;
  }
  const samples = res.errorSamples?.length
    ? `<div class="notes">non-2xx samples:<ul>${res.errorSamples.map((x) => `<li><code>${esc(x)}</code></li>`).join('')}</ul></div>`
    : '';
  return `<section class="card${res.byKind ? ' wide' : ''}">
  <h3>${esc(s.name)} <small>${esc(s.group)}</small></h3>
  <p class="desc">${esc(s.description)}</p>
  <p class="stats">${res.requests.toLocaleString('en-US')} requests in ${fmt(res.durationSeconds)} s at ${res.connections} connections ·
  <span class="${bad ? 'bad' : 'ok'}">non-2xx ${res.non2xx}${res.errors ? `, errors ${res.errors}` : ''}${res.timeouts ? `, timeouts ${res.timeouts}` : ''}</span> · status ${esc(codes)}${
    res.cpu
      ? `<br>CPU, cores of ${r.machine.cores}: server ${fmt(res.cpu.serverCores)}${res.cpu.serverCpuMsPerRequest !== undefined ? ` (${fmt(res.cpu.serverCpuMsPerRequest)} ms per request)` : ''} · load generator ${fmt(res.cpu.loadGeneratorCores)} · other ${fmt(res.cpu.otherCores)} (PostgreSQL and anything else on the machine)`
      : ''
  }</p>
  <div class="charts">${latency}${throughput}${kinds}</div>
  ${legend([[COLORS.p50, 'p50'], [COLORS.p95, 'p95'], [COLORS.p99, 'p99'], [COLORS.tput, isLogin ? 'throughput against the hash-bound limit' : 'throughput (scale shared by the HTTP scenarios)']])}
  ${notes}${samples}
</section>`;
}

function lambdaSection(l: LambdaReport): string {
  const rows = l.functions;
  const cold = hbarChart({
    width: 540,
    unit: 'ms',
    rows: rows.map((f) => ({
      label: f.handler,
      segments: [
        { value: f.importMs, color: COLORS.import, name: 'module init (import)' },
        { value: f.firstInvokeMs, color: COLORS.first, name: 'first invocation' },
      ],
    })),
  });
  const warm = barChart({
    width: 540,
    height: 230,
    unit: 'warm invocation, ms',
    groups: rows.map((f) => ({
      label: f.handler.replace('packages/', 'pkg/').replace('versions/', 'ver/'),
      bars: [
        { value: f.warmMs.p50, color: COLORS.warm50, label: 'p50' },
        { value: f.warmMs.p95, color: COLORS.warm95, label: 'p95' },
      ],
    })),
  });
  return `<h2>Lambda view</h2>
<p class="desc">${esc(l.note)} Node ${esc(l.node)}.</p>
<div class="charts">
  <div><h4>Cold start: module initialisation + first invocation (median of fresh processes)</h4>${cold}${legend([[COLORS.import, 'module init (import)'], [COLORS.first, 'first invocation (builds store clients)']])}</div>
  <div><h4>Warm invocations, one at a time</h4>${warm}${legend([[COLORS.warm50, 'p50'], [COLORS.warm95, 'p95']])}</div>
</div>
<table class="small">
<tr><th>function</th><th>bundle KiB</th><th>node start ms</th><th>init (import) ms</th><th>first invocation ms</th><th>cold ms</th><th>warm p50 ms</th><th>warm p95 ms</th><th>warm p99 ms</th><th>invocations</th><th>non-2xx</th><th>RSS MB</th></tr>
${rows
  .map(
    (f) =>
      `<tr><td>${esc(f.handler)}<br><code>${esc(f.route)}</code></td><td>${f.bundleKiB}</td><td>${fmt(f.nodeStartMs)}</td><td>${fmt(f.importMs)}</td><td>${fmt(f.firstInvokeMs)}</td><td>${fmt(f.importMs + f.firstInvokeMs)}</td><td>${fmt(f.warmMs.p50)}</td><td>${fmt(f.warmMs.p95)}</td><td>${fmt(f.warmMs.p99)}</td><td>${f.invocations}</td><td class="${f.non2xx ? 'bad' : ''}">${f.non2xx}</td><td>${fmt(f.rssMb)}</td></tr>`,
  )
  .join('\n')}
</table>
${rows.filter((f) => f.errorSamples?.length).map((f) => `<div class="notes">${esc(f.handler)} non-2xx samples:<ul>${f.errorSamples!.map((x) => `<li><code>${esc(x)}</code></li>`).join('')}</ul></div>`).join('')}
${l.failures?.length ? `<div class="notes bad">failed: ${l.failures.map((f) => `${esc(f.handler)}: ${esc(f.error)}`).join('<br>')}</div>` : ''}`;
}

function scanSection(s: ScanBenchReport): string {
  const rows = s.measurements
    .map(
      (m) =>
        `<tr><td>${esc(m.name)}</td><td>${esc(m.description)}</td><td>${m.files}</td><td>${fmt(m.bytes / 2 ** 20)}</td><td>${m.findings}</td><td class="${m.targetMs !== undefined && m.cpuMs > m.targetMs ? 'bad' : ''}">${fmt(m.cpuMs)}</td><td>${m.targetMs ?? ''}</td><td>${esc(m.runsMs.join(', '))}</td></tr>`,
    )
    .join('\n');
  return `<h2>Rule scanner</h2>
<p class="desc">CPU time of one scan of a whole archive in the bench's process (process.cpuUsage, median of the runs after a warm-up): varied rule Markdown, then hostile files built to make a careless pattern backtrack.</p>
<table class="small"><tr><th>case</th><th>what</th><th>files</th><th>MiB</th><th>findings</th><th>CPU ms</th><th>target ms</th><th>runs ms</th></tr>
${rows}
</table>`;
}

/** The limit a login scenario is read against: its own measurement if it made one. */
function loginBound(s: Scenario, r: BenchResult): number {
  const own = s.notes?.hashBoundPerSecond;
  return typeof own === 'number' ? own : r.hashBoundPerSecond;
}

/** Checks of the performance targets (docs/BENCHMARKS.md), from the figures (informative: the page never fails). */
function targets(r: BenchResult): Array<{ what: string; value: string; ok: boolean }> {
  const out: Array<{ what: string; value: string; ok: boolean }> = [];
  const by = (n: string) => r.scenarios.find((s) => s.name === n);
  const login = by('login-same-user');
  if (login) {
    const bound = loginBound(login, r);
    const share = login.result.throughput / bound;
    const ideal = login.notes?.hashBoundIdealPerSecond;
    const idealShare = typeof ideal === 'number' ? `; ${Math.round((login.result.throughput / ideal) * 100)}% of the ideal ${fmt(ideal)}/s` : '';
    out.push({
      what: 'login throughput at concurrency 50 ≥ 70% of the hash-bound limit (measured)',
      value: `${Math.round(share * 100)}% (${fmt(login.result.throughput)} of ${fmt(bound)}/s${idealShare})`,
      ok: share >= 0.7,
    });
  }
  const saturated = by('profile-read');
  if (saturated) {
    out.push({
      what: 'authenticated reads, 50 connections sending back to back (saturation): p95 < 20 ms',
      value: `p95 ${fmt(saturated.result.latencyMs.p95)} ms at ${fmt(saturated.result.throughput)} req/s`,
      ok: saturated.result.latencyMs.p95 < 20,
    });
  }
  for (const s of r.scenarios.filter((x) => x.name.startsWith('profile-read-paced-'))) {
    out.push({
      what: `authenticated reads, 50 clients at ${Math.round(Number(s.notes?.shareOfCapacity) * 100)}% of capacity (${fmt(Number(s.notes?.offeredRate))} req/s): p95 < 20 ms`,
      value: `p95 ${fmt(s.result.latencyMs.p95)} ms`,
      ok: s.result.latencyMs.p95 < 20,
    });
  }
  // Repeated scenarios report their median run; a non-2xx in any of their runs counts too.
  const allRuns = (s: Scenario) => Number(s.notes?.non2xxAllRuns ?? 0);
  const failing = r.scenarios.filter((s) => s.result.non2xx > 0 || s.result.errors > 0 || allRuns(s) > 0);
  out.push({
    what: 'zero non-2xx (and no socket errors) in every scenario and every run',
    value: failing.length ? failing.map((s) => `${s.name}: ${s.result.non2xx} non-2xx, ${s.result.errors} errors (${allRuns(s)} in all runs)`).join('; ') : 'none',
    ok: failing.length === 0,
  });
  if (r.scan) out.push(...scanTargets(r.scan));
  for (const f of r.failures ?? []) out.push({ what: `scenario ${f.scenario} ran`, value: f.error, ok: false });
  out.push({ what: 'whole run under 10 minutes', value: `${fmt(r.wallSeconds)} s`, ok: r.wallSeconds < 600 });
  return out;
}

export function renderReport(r: BenchResult): string {
  const m = r.machine;
  const maxThroughput = Math.max(...r.scenarios.map((s) => s.result.throughput), 1);
  const facts: Array<[string, string]> = [
    ['date', r.date],
    ['groups', r.groups.join(', ')],
    ['wall time', `${fmt(r.wallSeconds)} s`],
    ['CPU', `${m.cores} cores · ${m.cpuModel}`],
    ['memory', `${m.memoryGiB} GiB`],
    ['Node.js', m.node],
    ['platform', m.platform],
    ['PostgreSQL', m.postgres ?? 'n/a'],
    ['load average (1/5/15 min) at start → end', `${m.loadAverageAtStart.map((x) => x.toFixed(2)).join(' / ')}${m.loadAverageAtEnd ? ` → ${m.loadAverageAtEnd.map((x) => x.toFixed(2)).join(' / ')}` : ''}`],
    ['argon2id verify', `${fmt(r.hashMs)} ms (median of 20)`],
    [
      'hash-bound login limit',
      r.hashBoundIdealPerSecond === undefined
        ? `${fmt(r.hashBoundPerSecond)} logins/s (cores × 1000 / hash ms)`
        : `${fmt(r.hashBoundPerSecond)} logins/s measured with one verify per core at once (ideal cores × 1000 / hash ms: ${fmt(r.hashBoundIdealPerSecond)}); each login scenario is read against it measured just before and after it (the faster of the two)`,
    ],
    ['git', m.git ? `${m.git.commit.slice(0, 12)}${m.git.dirty ? ' + uncommitted changes' : ''}` : 'n/a'],
  ];
  const table = r.scenarios
    .map((s) => {
      const x = s.result;
      return `<tr><td>${esc(s.name)}</td><td>${x.connections}</td><td>${x.requests}</td><td class="${x.non2xx ? 'bad' : ''}">${x.non2xx}</td><td>${fmt(x.throughput)}</td><td>${fmt(x.latencyMs.p50)}</td><td>${fmt(x.latencyMs.p95)}</td><td>${fmt(x.latencyMs.p99)}</td><td>${fmt(x.latencyMs.max)}</td><td>${x.cpu?.serverCpuMsPerRequest !== undefined ? fmt(x.cpu.serverCpuMsPerRequest) : 'n/a'}</td><td>${x.cpu ? `${fmt(x.cpu.serverCores)} / ${fmt(x.cpu.loadGeneratorCores)} / ${fmt(x.cpu.otherCores)}` : 'n/a'}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rfh registry benchmark ${esc(r.date)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:24px auto;max-width:1140px;padding:0 16px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:0}h3 small{color:#656d76;font-weight:normal;margin-left:6px}h4{font-size:13px;margin:6px 0;color:#424a53}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right}
th{background:#f6f8fa}td:first-child,th:first-child{text-align:left;white-space:nowrap}table.small{font-size:12px}
.facts{display:grid;grid-template-columns:repeat(3,1fr);gap:4px 18px;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:10px 14px}
.facts div span{color:#656d76;display:block;font-size:11px;text-transform:uppercase;letter-spacing:.03em}
.grid-cards{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:10px 12px}.card.wide{grid-column:1/-1}
.desc{margin:2px 0;color:#424a53}.stats{margin:2px 0 6px;font-size:12px;color:#424a53}
.charts{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}.kinds{display:flex;gap:10px;align-items:flex-start}
.legend{font-size:11px;color:#424a53;margin-top:2px}.legend span{margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
.notes{font-size:11px;color:#424a53;margin-top:4px;word-break:break-word}.notes span{margin-right:10px}
.bad{color:#cf222e;font-weight:600}.ok{color:#1a7f37}
ul.targets{list-style:none;padding:0;margin:6px 0}ul.targets li{margin:2px 0}ul.targets b{display:inline-block;min-width:60px;white-space:nowrap}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:10px;font-size:11.5px;overflow-x:auto;white-space:pre}
svg text{font-family:system-ui,sans-serif}svg .grid{stroke:#eaeef2}svg .axis{stroke:#8c959f}svg .tick{font-size:10px;fill:#656d76}
svg .unit{font-size:10px;fill:#656d76}svg .val{font-size:10px;fill:#1f2328}svg .lbl{font-size:10.5px;fill:#424a53}
svg .ref{stroke:#cf222e;stroke-dasharray:4 3}svg .reflbl{font-size:9.5px;fill:#cf222e}
</style></head><body>
<h1>rfh registry benchmark</h1>
<p class="desc">The local server in its own process on this machine's PostgreSQL, rate limits off, loaded over HTTP from the bench's own process: autocannon for the saturating scenarios, evenly paced clients for the <code>-paced-</code> ones (<code>npm run bench</code>; see docs/BENCHMARKS.md).</p>
<div class="facts">${facts.map(([k, v]) => `<div><span>${esc(k)}</span>${esc(v)}</div>`).join('')}</div>
<h2>Targets</h2>
<ul class="targets">${targets(r)
    .map((t) => `<li><b class="${t.ok ? 'ok' : 'bad'}">${t.ok ? 'met' : 'not met'}</b> ${esc(t.what)}: ${esc(t.value)}</li>`)
    .join('')}</ul>
${
  r.scenarios.length
    ? `<h2>HTTP scenarios</h2>
<table><tr><th>scenario</th><th>connections</th><th>requests</th><th>non-2xx</th><th>req/s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>server CPU ms / request</th><th>cores: server / load gen. / other</th></tr>
${table}
</table>
<div class="grid-cards">${r.scenarios.map((s) => scenarioCard(s, r, maxThroughput)).join('\n')}</div>`
    : ''
}
${r.lambda ? lambdaSection(r.lambda) : ''}
${r.scan ? scanSection(r.scan) : ''}
${r.searchPlan ? `<h2>Search query plan</h2><p class="desc">EXPLAIN ANALYZE of the statement the search endpoint runs, over the seeded packages.</p><pre>${esc(r.searchPlan)}</pre>` : ''}
</body></html>
`;
}

// CLI: re-render the page of a results file.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npx tsx scripts/bench/report.ts bench/results/<date>.json');
    process.exit(2);
  }
  const out = file.replace(/\.json$/, '') + '.html';
  await writeFile(out, renderReport(JSON.parse(await readFile(file, 'utf8')) as BenchResult));
  console.log(`wrote ${out}`);
}
