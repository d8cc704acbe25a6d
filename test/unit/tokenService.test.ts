import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { RotatingSecret, SecretVersions } from '../../shared/auth/rotatingSecret.js';
import { hashToken, TokenService } from '../../shared/auth/TokenService.js';

const secret = 'x'.repeat(40);

describe('TokenService', () => {
  it('issues distinct tokens for the same user in the same millisecond', async () => {
    const tokens = new TokenService(secret, 3600);
    const now = Date.now();
    const issued = await Promise.all(Array.from({ length: 200 }, () => tokens.issue(7, now)));
    expect(new Set(issued.map((t) => t.token)).size).toBe(200);
    expect(new Set(issued.map((t) => t.tokenHash)).size).toBe(200);
    expect(issued[0]!.tokenHash).toBe(hashToken(issued[0]!.token));
  });

  it('verifies its own tokens and nothing else', async () => {
    const tokens = new TokenService(secret, 3600);
    const { token } = await tokens.issue(7);
    expect(await tokens.verify(token)).toEqual({ userId: 7, tokenHash: hashToken(token) });
    expect(await new TokenService('y'.repeat(40), 3600).verify(token)).toBeNull();
    expect(await tokens.verify(`${token}x`)).toBeNull();
    expect(await tokens.verify('x'.repeat(3000))).toBeNull();
  });

  it('rejects expired tokens and tokens without a jti or with a foreign issuer', async () => {
    const tokens = new TokenService(secret, 1);
    const old = await tokens.issue(7, Date.now() - 10_000);
    expect(await tokens.verify(old.token)).toBeNull();
    const key = new TextEncoder().encode(secret);
    const noJti = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('rulestack-api').setSubject('7').setExpirationTime('1h').sign(key);
    expect(await tokens.verify(noJti)).toBeNull();
    const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('other').setSubject('7').setJti('j').setExpirationTime('1h').sign(key);
    expect(await tokens.verify(foreign)).toBeNull();
  });

  it('refuses a short secret', () => {
    expect(() => new TokenService('short', 10)).toThrow(/at least 32/);
  });

  describe('with a rotating key', () => {
    const KEY_A = 'a'.repeat(64);
    const KEY_B = 'b'.repeat(64);
    const STALE_MS = 300_000;
    // A secret whose versions the test changes, as a rotation does between two reads.
    const secretOf = (initial: SecretVersions) => {
      let versions = initial;
      const secret: RotatingSecret = { versions: async () => versions, staleMs: STALE_MS };
      return { secret, rotate: (next: SecretVersions) => (versions = next) };
    };

    it('signs with the current key and reads a rotation at once', async () => {
      const { secret, rotate } = secretOf({ current: KEY_A });
      const tokens = new TokenService(secret, 3600);
      const before = await tokens.issue(7);
      rotate({ current: KEY_B });
      const after = await tokens.issue(7);
      expect(await new TokenService(KEY_A, 3600).verify(before.token)).not.toBeNull();
      expect(await new TokenService(KEY_B, 3600).verify(after.token)).not.toBeNull();
      expect(await new TokenService(KEY_A, 3600).verify(after.token)).toBeNull();
      // Without the previous key on offer, a token of the replaced key is refused.
      expect(await tokens.verify(before.token)).toBeNull();
    });

    it("accepts the previous key's tokens issued before the rotation reached every container, until they expire", async () => {
      const rotatedAt = Date.now() - 60_000;
      const { secret } = secretOf({ current: KEY_B, previous: { value: KEY_A, replacedAt: rotatedAt } });
      const tokens = new TokenService(secret, 3600);
      const signedWithA = new TokenService(KEY_A, 3600);
      const beforeRotation = await signedWithA.issue(7, rotatedAt - 1000);
      const byStaleContainer = await signedWithA.issue(8, rotatedAt + STALE_MS - 5000);
      expect(await tokens.verify(beforeRotation.token)).toEqual({ userId: 7, tokenHash: hashToken(beforeRotation.token) });
      expect(await tokens.verify(byStaleContainer.token)).toMatchObject({ userId: 8 });
      // Later than any container could have used the old key: forged with a leaked old key.
      const forged = await signedWithA.issue(9, rotatedAt + STALE_MS + 5000);
      expect(await tokens.verify(forged.token)).toBeNull();
      const expired = await new TokenService(KEY_A, 1).issue(7, rotatedAt - 10_000);
      expect(await tokens.verify(expired.token)).toBeNull();
      // The current key's tokens, and nothing signed with a third key.
      expect(await tokens.verify((await tokens.issue(10)).token)).toMatchObject({ userId: 10 });
      expect(await tokens.verify((await new TokenService('c'.repeat(64), 3600).issue(7, rotatedAt - 1000)).token)).toBeNull();
    });

    it('fails, rather than answering "invalid token", when the key cannot be read or is too short', async () => {
      const unreadable = new TokenService({ versions: () => Promise.reject(new Error('unreachable')), staleMs: 0 }, 3600);
      await expect(unreadable.verify('x.y.z')).rejects.toThrow('unreachable');
      const short = new TokenService({ versions: async () => ({ current: 'short' }), staleMs: 0 }, 3600);
      await expect(short.verify('x.y.z')).rejects.toThrow(/at least 32/);
      await expect(short.issue(7)).rejects.toThrow(/at least 32/);
    });
  });
});
