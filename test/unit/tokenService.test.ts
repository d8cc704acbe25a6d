import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
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
});
