import { logger } from '../observability/telemetry.js';
import type { SideEffect, SideEffectQueue } from '../ports/SideEffectQueue.js';

export interface InProcessQueueOptions {
  /** Applies a batch; throws to keep all of it for the next tick, or returns what to keep. */
  apply: (batch: SideEffect[]) => Promise<void | SideEffect[]>;
  /** Apply at least this often (ms). */
  intervalMs?: number;
  /** Apply at once when this many are pending. */
  batchSize?: number;
  /** Memory bound: beyond it the oldest pending effects are dropped (and counted). */
  maxPending?: number;
}

/**
 * The local stand-in for SQS + the consumer Lambda: effects are buffered and applied in batches
 * off the request path. A failed batch (or the part of it that failed) is kept and retried on the
 * next tick (a store may be down for a while); memory stays bounded by maxPending.
 */
export class InProcessSideEffectQueue implements SideEffectQueue {
  private pending: SideEffect[] = [];
  private running: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  dropped = 0;
  applied = 0;

  constructor(private readonly options: InProcessQueueOptions) {
    this.timer = setInterval(() => void this.drain(), options.intervalMs ?? 500);
    this.timer.unref();
  }

  enqueue(effect: SideEffect): void {
    this.pending.push(effect);
    const max = this.options.maxPending ?? 50_000;
    if (this.pending.length > max) {
      const excess = this.pending.length - max;
      this.pending.splice(0, excess);
      this.dropped += excess;
    }
    if (this.pending.length >= (this.options.batchSize ?? 500)) void this.drain();
  }

  async handOff(): Promise<void> {
    // Already in the process that applies it.
  }

  /** Applies what is pending now; one drain at a time. */
  drain(): Promise<void> {
    // Assigned before the loop's first await can finish, cleared after it settles.
    this.running ??= this.applyPending().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async applyPending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.batchSize ?? 500);
      let again: SideEffect[];
      try {
        again = (await this.options.apply(batch)) ?? [];
      } catch (err) {
        logger.warn('side effects not applied yet', { count: batch.length, error: String(err) });
        this.pending.unshift(...batch); // kept for the next tick
        return;
      }
      this.applied += batch.length - again.length;
      if (again.length > 0) {
        this.pending.unshift(...again); // the part that failed, for the next tick
        return;
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
  }
}
