import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../shared/http/RateLimiter.js';

describe('RateLimiter', () => {
  it('allows the limit per minute per key from its first request, then says how long to wait', () => {
    let now = 1_000_000 + 59_000; // one second before a clock minute: makes no difference
    const limiter = new RateLimiter(() => now);
    for (let i = 0; i < 3; i++) expect(limiter.hit('a', 3)).toBe(0);
    now += 2_000; // past the clock's minute, still inside a's window
    expect(limiter.hit('a', 3)).toBe(58);
    expect(limiter.hit('b', 3)).toBe(0);
    now += 58_000; // a's window has ended
    expect(limiter.hit('a', 3)).toBe(0);
  });

  it('forgets ended windows', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    for (let i = 0; i < 1000; i++) limiter.hit(`client-${i}`, 10);
    now = 61_000;
    limiter.hit('late', 10);
    expect((limiter as unknown as { windows: Map<string, unknown> }).windows.size).toBe(1);
  });
});
