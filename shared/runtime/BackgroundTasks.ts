import { logger } from '../observability/telemetry.js';

/**
 * Work that must not delay or fail a response (e.g. recording last_login). Failures are
 * logged and dropped; pending work can be awaited at shutdown.
 * (Issue 5 moves these side effects onto a queue.)
 */
export class BackgroundTasks {
  private readonly pending = new Set<Promise<void>>();

  run(name: string, task: () => Promise<unknown>): void {
    const p: Promise<void> = Promise.resolve()
      .then(task)
      .then(
        () => undefined,
        (err: unknown) => {
          logger.warn('background task failed', { task: name, error: String(err) });
        },
      )
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
