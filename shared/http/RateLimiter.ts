/**
 * Per-client request limits in fixed one-minute windows, held in process memory: locally that
 * is the whole server; in AWS it is per container, behind API Gateway's per-route throttling.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds to wait when over the limit, else 0. */
  hit(key: string, limitPerMinute: number): number {
    const now = this.now();
    const start = now - (now % 60_000);
    this.sweep(start);
    const w = this.windows.get(key);
    if (!w || w.start !== start) {
      this.windows.set(key, { start, count: 1 });
      return 0;
    }
    w.count++;
    return w.count > limitPerMinute ? Math.ceil((start + 60_000 - now) / 1000) : 0;
  }

  // Old windows are dropped once a minute, so memory stays bounded by the clients of one minute.
  private sweep(currentStart: number): void {
    if (currentStart === this.lastSweep) return;
    this.lastSweep = currentStart;
    for (const [k, w] of this.windows) if (w.start < currentStart) this.windows.delete(k);
  }
}
