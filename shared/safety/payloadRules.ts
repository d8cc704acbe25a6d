import type { Emit } from './finding.js';

// Instructions and data an agent may act on that a rule package has little reason to carry:
// commands that fetch code and run it at once, URLs to raw IP addresses, long encoded blobs.

// Each pattern starts at the rarer part of a command (a pipe into an interpreter, a command
// substitution running a download) and looks back a bounded distance for the rest, so a
// megabyte of "curl curl curl" without a pipe costs linear time. A shell line continuation (`\`
// at the end of a line) and a newline after a pipe are followed: a command split over lines is
// still one command.
const INTERPRETER = String.raw`(?:(?:ba|z|da|k|fi|c|tc)?sh|python[0-9.]*|perl|ruby|node|php|pwsh|powershell|iex|invoke-expression|source)\b`;
const PIPE_INTO_INTERPRETER = new RegExp(
  String.raw`(?<!\|)\|(?!\|)[ \t]*(?:\\?\r?\n[ \t]*)?(?:sudo(?:[ \t]+-[A-Za-z-]+)*[ \t]+)?(?:env[ \t]+(?:\w+=\S*[ \t]+)*)?(${INTERPRETER})`,
  'gi',
);
// An interpreter given its program another way reads the download as data, not as code:
// `| python -m json.tool`, `| node -e '…'`, `| sh -c 'cat > f'`.
const PROGRAM_OPTION = /^[ \t]+-(?:m|c|e|p|r|n|ne|pe|Command)\b/i;
const DOWNLOAD = /(?<![\w-])(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod|fetch|\.downloadstring)(?![\w-])/i;
const SUBSTITUTED_DOWNLOAD = /(\$\(|`|<\()[ \t]*(?:curl|wget|iwr|irm)\b/gi;
// What runs a substitution's output, right before it at the start of a command. For $(…) and
// `…`: eval "$(…)", sh -c "$(…)", python3 -c "$(…)", perl -e, node -e, php -r. For <(…): bash <(…),
// source <(…), . <(…). (A sentence ending in "." before `curl …` in Markdown is not a command.)
const RUNS_COMMAND_SUBSTITUTION = /(?<![^\s;&|(`"'])(?:eval|(?:(?:ba|z|da|k)?sh|python[0-9.]*|perl|ruby|node|php)(?:[ \t]+-{1,2}[A-Za-z-]+){0,3}[ \t]+-[cer])[ \t]+["']?$/i;
const RUNS_PROCESS_SUBSTITUTION = /(?<![^\s;&|(`"'])(?:source|\.|(?:ba|z|da|k)?sh|python[0-9.]*|perl|ruby|node|php)(?:[ \t]+-{1,2}[A-Za-z-]+){0,4}[ \t]+$/i;
const LOOK_BACK = 400;

const STANDALONE: ReadonlyArray<RegExp> = [
  // iex (iwr …), Invoke-Expression (New-Object Net.WebClient).DownloadString(…)
  /(?<![\w-])(?:iex|invoke-expression)[ \t]*(?:\([ \t]*){0,3}(?:\$\([ \t]*)?(?:iwr|irm|curl|wget|invoke-webrequest|invoke-restmethod|new-object[ \t]+(?:system\.)?net\.webclient)\b/gi,
  // exec(urlopen(…).read()), eval(await (await fetch(…)).text())
  /(?<![\w.])(?:exec|eval)[ \t]*\([ \t]*(?:(?:await[ \t]+)?\([ \t]*){0,2}(?:await[ \t]+)?(?:[\w.]*urlopen|requests\.get|fetch)[ \t]*\(/gi,
];

/** The start of the shell command line ending at `end`: back over lines continued with `\`, within reach. */
function commandLineStart(text: string, end: number): number {
  const from = Math.max(0, end - LOOK_BACK);
  let start = end;
  for (;;) {
    const newline = from + text.slice(from, start).lastIndexOf('\n');
    if (newline < from) return from;
    // The line before continues into this one if it ends with a backslash.
    const before = text[newline - 1] === '\r' ? newline - 2 : newline - 1;
    if (text[before] !== '\\') return newline + 1;
    start = newline;
  }
}

// Each pattern's matches come in order, so the first this many of each hold the first ones of
// all: the scanner keeps no more than its per-file bound anyway.
const MATCHES_PER_PATTERN = 64;

export function findRemoteCodeExecution(text: string, emit: Emit): void {
  const found: Array<{ start: number; end: number }> = [];
  const pipes = new RegExp(PIPE_INTO_INTERPRETER);
  for (let m = pipes.exec(text); m && found.length < MATCHES_PER_PATTERN; m = pipes.exec(text)) {
    // The download nearest the pipe, on the same command line.
    const lineStart = commandLineStart(text, m.index);
    const command = text.slice(lineStart, m.index);
    const downloads = new RegExp(DOWNLOAD.source, 'gi');
    let nearest = -1;
    for (let d = downloads.exec(command); d; d = downloads.exec(command)) nearest = d.index;
    const end = m.index + m[0].length;
    const interpreter = m[1]!.toLowerCase();
    const readsProgram = interpreter === 'iex' || interpreter === 'invoke-expression' || interpreter === 'source' || !PROGRAM_OPTION.test(text.slice(end, end + 40));
    if (nearest >= 0 && readsProgram) found.push({ start: lineStart + nearest, end });
  }
  const substitutions = new RegExp(SUBSTITUTED_DOWNLOAD);
  const substituted = found.length;
  for (let m = substitutions.exec(text); m && found.length - substituted < MATCHES_PER_PATTERN; m = substitutions.exec(text)) {
    const from = Math.max(0, m.index - 100);
    const runner = (m[1] === '<(' ? RUNS_PROCESS_SUBSTITUTION : RUNS_COMMAND_SUBSTITUTION).exec(text.slice(from, m.index));
    if (runner) found.push({ start: from + runner.index, end: m.index + m[0].length });
  }
  for (const pattern of STANDALONE) {
    const re = new RegExp(pattern);
    const before = found.length;
    for (let m = re.exec(text); m && found.length - before < MATCHES_PER_PATTERN; m = re.exec(text)) found.push({ start: m.index, end: m.index + m[0].length });
  }
  // One finding per command, whichever patterns matched it.
  found.sort((a, b) => a.start - b.start);
  let last = -1;
  for (const { start, end } of found) {
    if (start < last) continue;
    last = end;
    if (!emit({ rule: 'remote-code-execution', start, end, message: 'a command that downloads code and runs it at once, which an agent may execute' })) return;
  }
}

// scheme://[user@]host where host is a dotted IPv4 address, a bracketed IPv6 address, or an IPv4
// address written as one number (http://2130706433/, http://0x7f000001/).
const IP_URL = /(?<![\w+.-])(?:https?|ftps?|wss?|sftp):\/\/(?:[^\s/@?#]{1,256}@)?(\[[0-9A-Fa-f:.]{2,45}\]|\d{1,3}(?:\.\d{1,3}){3}|0x[0-9A-Fa-f]{1,8}|\d{8,10})(?=[:/?#\s"'<>)\]`]|$)/gi;

function isHarmlessIPv4(host: string): boolean {
  const octets = host.split('.').map(Number);
  if (octets.some((o) => o > 255)) return true; // not an address (a version number)
  const [a, b, c] = octets as [number, number, number, number];
  return (
    a === 0 || // this host (0.0.0.0 in "listen on")
    a === 127 || // loopback
    a === 10 || // private networks (RFC 1918)
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    // documentation ranges (RFC 5737)
    (a === 192 && b === 0 && c === 2) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  );
}

function isHarmlessIPv6(host: string): boolean {
  const h = host.slice(1, -1).toLowerCase();
  if (h === '::1' || h === '::') return true; // loopback, unspecified
  if (/^f[cd][0-9a-f]{0,2}:/.test(h)) return true; // unique local (fc00::/7)
  if (/^2001:0?db8:/.test(h)) return true; // documentation (RFC 3849)
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(h);
  return mapped ? isHarmlessIPv4(mapped[1]!) : false;
}

/**
 * URLs to raw IP addresses, where a rule package would otherwise name a host: the usual way to
 * send data somewhere no domain points at. Loopback, private and documentation addresses are
 * fine (examples and local servers); the link-local 169.254.169.254 is not (cloud credentials).
 */
export function findRawIpUrls(text: string, emit: Emit): void {
  if (!text.includes('://')) return;
  const re = new RegExp(IP_URL);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const host = m[1]!;
    const numeric = /^(?:0x[0-9a-f]+|\d+)$/i.test(host);
    if (!numeric && (host.startsWith('[') ? isHarmlessIPv6(host) : isHarmlessIPv4(host))) continue;
    const message = numeric
      ? 'a URL whose host is an IP address written as a number, a disguised address'
      : 'a URL whose host is a raw IP address rather than a domain name';
    if (!emit({ rule: 'raw-ip-url', start: m.index, end: m.index + m[0].length, message })) return;
  }
}

// Runs of base64 (or base64url) characters, hex being a subset, from the length of a line of
// wrapped base64 (PEM and `base64` write 64 or 76). Anchored on the character before the run
// rather than a lookbehind: the faster of the two here.
const RUN = /(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/_-]{40,}={0,2})/g;
const BASE64_MIN = 200;
const HEX_MIN = 128;
// A sha512 (128) digest in hex is a checksum, not a payload; sha256 (64) is under the minimum.
const DIGEST_LENGTHS = new Set([128]);

const mixedCase = (s: string) => /[0-9]/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s);
const isHex = (s: string) => /^[0-9a-fA-F]+$/.test(s);

/** Image data in a data: URI, recognised by its first bytes, not by the type it claims. */
function isImageDataUri(text: string, start: number, blob: string): boolean {
  if (!/data:image\/(?:png|jpeg|gif|webp);base64,$/i.test(text.slice(Math.max(0, start - 40), start))) return false;
  let head: string;
  try {
    head = atob(blob.slice(0, 16));
  } catch {
    return false;
  }
  return head.startsWith('\x89PNG') || head.startsWith('\xFF\xD8\xFF') || head.startsWith('GIF8') || (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP');
}

/** An OpenSSH public key (`ssh-ed25519 AAAA…`): public by design. */
function isSshPublicKey(text: string, start: number, blob: string): boolean {
  return blob.startsWith('AAAA') && /(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) $/.test(text.slice(Math.max(0, start - 40), start));
}

/** A block right after a PEM header: certificates and public keys (private keys are refused on their own). */
function afterPemHeader(text: string, start: number): boolean {
  const before = text.slice(Math.max(0, start - 300), start);
  return /-----BEGIN [A-Z0-9 ]{1,60}-----[^-]*$/.test(before);
}

/** The start of the line if only blanks stand before `offset` on it (looked at 64 characters back), else -1. */
function blanksBefore(text: string, offset: number): number {
  for (let i = offset - 1; i >= offset - 64; i--) {
    if (i < 0 || text[i] === '\n') return i + 1;
    if (text[i] !== ' ' && text[i] !== '\t') return -1;
  }
  return -1;
}

/** Whether only blanks (and a CR) stand after `offset` on its line (looked at 64 characters on). */
function blanksAfter(text: string, offset: number): boolean {
  for (let i = offset; i < offset + 64; i++) {
    if (i >= text.length || text[i] === '\n') return true;
    if (text[i] !== ' ' && text[i] !== '\t' && text[i] !== '\r') return false;
  }
  return false;
}

interface Block {
  start: number;
  end: number;
  chars: number;
  lines: number;
  digit: boolean;
  lower: boolean;
  upper: boolean;
}

/**
 * Long base64 (200 or more characters, mixing cases and digits as encoded data does) or hex (128
 * or more) outside harmless places: checksums, images in data: URIs, SSH public keys, PEM blocks.
 * Base64 wrapped over consecutive lines (each line nothing but base64) counts as one blob.
 */
export function findEncodedBlobs(text: string, emit: Emit): void {
  const message = (what: string, n: number) => `${what} of ${n} characters, data an agent can decode and follow but a reader cannot`;

  const judgeRun = (start: number, end: number): boolean => {
    const body = text.slice(start, end).replace(/=+$/, '');
    if (isHex(body)) {
      if (body.length < HEX_MIN || DIGEST_LENGTHS.has(body.length)) return true;
      return emit({ rule: 'encoded-blob', start, end, message: message('a hex blob', body.length) });
    }
    if (body.length < BASE64_MIN || !mixedCase(body) || isImageDataUri(text, start, body) || isSshPublicKey(text, start, body) || afterPemHeader(text, start)) return true;
    return emit({ rule: 'encoded-blob', start, end, message: message('a base64 blob', body.length) });
  };

  // Whole lines of base64 being gathered into one block.
  let block: Block | undefined;
  const closeBlock = (): boolean => {
    const b = block;
    block = undefined;
    if (!b) return true;
    if (b.lines === 1) return judgeRun(b.start, b.end);
    if (b.chars < BASE64_MIN || !(b.digit && b.lower && b.upper) || afterPemHeader(text, b.start)) return true;
    return emit({ rule: 'encoded-blob', start: b.start, end: b.end, message: message('a base64 blob wrapped over several lines', b.chars) });
  };

  const re = new RegExp(RUN);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const run = m[1]!;
    const start = m.index + m[0].length - run.length;
    const end = start + run.length;
    const lineStart = blanksBefore(text, start);
    if (lineStart >= 0 && blanksAfter(text, end) && !/[_-]/.test(run)) {
      const body = run.replace(/=+$/, '');
      if (isHex(body) && DIGEST_LENGTHS.has(body.length)) continue;
      const follows = block && lineStart - block.end <= 256 && /^\s*$/.test(text.slice(block.end, lineStart));
      if (!follows) {
        if (!closeBlock()) return;
        block = { start, end, chars: 0, lines: 0, digit: false, lower: false, upper: false };
      }
      const b = block!;
      b.end = end;
      b.chars += body.length;
      b.lines++;
      b.digit ||= /[0-9]/.test(body);
      b.lower ||= /[a-z]/.test(body);
      b.upper ||= /[A-Z]/.test(body);
      continue;
    }
    if (!closeBlock() || !judgeRun(start, end)) return;
  }
  closeBlock();
}
