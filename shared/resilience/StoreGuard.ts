import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  noop,
  retry,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { ApiError, StoreUnavailableError } from '../errors.js';
import { metricsRegistry } from '../observability/MetricsRegistry.js';
import { logger, tracer } from '../observability/telemetry.js';
import { currentScope, takeRetry } from './requestScope.js';

export type StoreName = StoreUnavailableError['store'];

export interface StoreGuardOptions {
  /** Calls in flight at once (bulkhead); more wait in a bounded queue. */
  concurrency: number;
  queue: number;
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  halfOpenAfterMs: number;
  /** Retries of transient failures (only where the adapter says a retry is safe). */
  retry?: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number };
}

export type GuardState = 'closed' | 'open' | 'half-open';

export interface GuardStats {
  calls: number;
  failures: number;
  retries: number;
  shortCircuited: number;
  rejectedBusy: number;
}

/**
 * Everything between the API and one data store: a bulkhead (bounded concurrency and queue, so
 * overload becomes a fast 503 instead of unbounded waiting), a circuit breaker (a store that keeps
 * failing is not called at all until a probe succeeds), and retries of transient failures with
 * jittered exponential backoff, limited by the request's retry budget and deadline.
 * Policies come from cockatiel; this class only composes them and maps their errors.
 */
export class StoreGuard {
  readonly stats: GuardStats = { calls: 0, failures: 0, retries: 0, shortCircuited: 0, rejectedBusy: 0 };
  private readonly breaker;
  private readonly policy: IPolicy;
  private openedAt = 0;

  constructor(
    readonly store: StoreName,
    private readonly options: StoreGuardOptions,
    /** A failure of the store (counts towards opening the circuit), not a normal outcome like a conflict. */
    private readonly isFailure: (err: unknown) => boolean,
    /** A failure that certainly had no effect, so the call can be repeated. */
    isRetryable: (err: unknown) => boolean = () => false,
  ) {
    this.breaker = circuitBreaker(
      handleWhen((err) => isFailure(err)),
      { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.failureThreshold) },
    );
    this.breaker.onStateChange((state) => {
      if (state === CircuitState.Open) this.openedAt = Date.now();
      logger.warn('circuit state change', { store, state: this.describe(state) });
    });
    // Only failures of the store: the breaker also reports errors it lets through unhandled (a bug,
    // a refused permission), which say nothing about the store's health.
    this.breaker.onFailure(({ handled }) => {
      if (handled) this.stats.failures++;
    });
    const r = options.retry;
    const retries = r
      ? retry(
          handleWhen((err) => isRetryable(err) && takeRetry(r.initialDelayMs)),
          { maxAttempts: r.maxAttempts, backoff: new ExponentialBackoff({ initialDelay: r.initialDelayMs, maxDelay: r.maxDelayMs }) },
        )
      : noop;
    if (r) (retries as ReturnType<typeof retry>).onRetry(() => this.stats.retries++);
    this.policy = wrap(this.breaker, bulkhead(options.concurrency, options.queue), retries);
  }

  private describe(state: CircuitState): GuardState {
    if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
    if (state === CircuitState.HalfOpen) return 'half-open';
    return 'closed';
  }

  get state(): GuardState {
    return this.describe(this.breaker.state);
  }

  /** Seconds until the circuit will let a probe through. */
  private retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.openedAt + this.options.halfOpenAfterMs - Date.now()) / 1000));
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.stats.calls++;
    const scope = currentScope();
    if (scope) scope.storeCalls[this.store]++;
    const started = performance.now();
    let failed = false;
    // An X-Ray subsegment per store call (only inside Lambda, where tracing is on).
    const parent = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
    const segment = parent?.addNewSubsegment(`## ${this.store}`);
    if (segment) tracer!.setSegment(segment);
    try {
      return await this.policy.execute(() => fn());
    } catch (err) {
      failed = this.isFailure(err) || err instanceof BrokenCircuitError || err instanceof BulkheadRejectedError;
      if (failed) segment?.addError(err as Error);
      if (err instanceof BrokenCircuitError) {
        this.stats.shortCircuited++;
        throw new StoreUnavailableError(this.store, err, this.retryAfterSeconds());
      }
      if (err instanceof BulkheadRejectedError) {
        this.stats.rejectedBusy++;
        throw new ApiError(503, 'The server is busy, please retry shortly', { 'Retry-After': '1' });
      }
      throw err;
    } finally {
      metricsRegistry.recordStoreCall(this.store, performance.now() - started, failed);
      if (segment && parent) {
        segment.close();
        tracer!.setSegment(parent);
      }
    }
  }
}
