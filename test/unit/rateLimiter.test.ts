import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../shared/http/RateLimiter.js';

describe('RateLimiter', () => {
  it('allows the limit per minute per key, then says how long to wait', () => {
    let now = 120_000 + 15_000;
    const limiter = new RateLimiter(() => now);
    for (let i = 0; i < 3; i++) expect(limiter.hit('a', 3)).toBe(0);
    expect(limiter.hit('a', 3)).toBe(45);
    expect(limiter.hit('b', 3)).toBe(0);
    now = 180_000;
    expect(limiter.hit('a', 3)).toBe(0);
  });
});
