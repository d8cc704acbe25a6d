const WINDOW_MS = 60_000;

/**
 * Per-client request limits in one-minute windows, held in process memory: locally that is the
 * whole server; in AWS it is per container, behind API Gateway's per-route throttling and the
 * CDN's web ACL. A client's window starts with its first request (not at the clock's minute), so
 * a burst is judged the same whenever it comes.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds to wait when over the limit, else 0. */
  hit(key: string, limitPerMinute: number): number {
    const now = this.now();
    this.sweep(now);
    const w = this.windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) {
      this.windows.set(key, { start: now, count: 1 });
      return 0;
    }
    w.count++;
    return w.count > limitPerMinute ? Math.ceil((w.start + WINDOW_MS - now) / 1000) : 0;
  }

  // Ended windows are dropped once a minute, so memory stays bounded by the clients of a minute.
  private sweep(now: number): void {
    if (now - this.lastSweep < WINDOW_MS) return;
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(k);
  }
}
