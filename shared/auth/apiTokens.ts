import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

// API tokens look like `rfh_<30 base62 characters><6 base62 checksum characters>`: the prefix and
// the CRC32 checksum let secret scanners (and this server) recognise a token without a lookup,
// as GitHub's `ghp_` tokens do.
export const API_TOKEN_PREFIX = 'rfh_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const PATTERN = new RegExp(`^${API_TOKEN_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);

function base62(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

const checksumOf = (body: string) => base62(crc32(body) >>> 0, CHECKSUM_LENGTH);

export function generateApiToken(): { secret: string; hash: string } {
  // 30 characters drawn uniformly from 62 (about 178 bits), by rejection sampling of random bytes.
  let body = '';
  while (body.length < BODY_LENGTH) {
    for (const byte of randomBytes(BODY_LENGTH * 2)) {
      if (byte < 248 && body.length < BODY_LENGTH) body += ALPHABET[byte % 62]; // 248 = 4 * 62: unbiased
    }
  }
  const secret = `${API_TOKEN_PREFIX}${body}${checksumOf(body)}`;
  return { secret, hash: hashApiToken(secret) };
}

export const hashApiToken = (secret: string) => createHash('sha256').update(secret).digest('hex');

export const looksLikeApiToken = (s: string) => s.startsWith(API_TOKEN_PREFIX);

/** Shape and checksum: a typo or a forged string is refused without touching a store. */
export function isWellFormedApiToken(s: string): boolean {
  if (!PATTERN.test(s)) return false;
  const body = s.slice(API_TOKEN_PREFIX.length, API_TOKEN_PREFIX.length + BODY_LENGTH);
  return s.endsWith(checksumOf(body));
}
