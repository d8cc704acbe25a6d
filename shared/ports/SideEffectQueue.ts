/**
 * Bookkeeping that must never slow down or fail a request: recorded now, applied later in
 * batches (one SQL statement per kind per batch). SQS with a batch consumer in AWS; an in-process
 * queue locally.
 */
export type SideEffect =
  | { kind: 'last-login'; userId: number; at: number }
  | { kind: 'download'; sha256: string }
  | { kind: 'token-used'; tokenId: string; at: number };

export interface SideEffectQueue {
  /** Never throws and never waits on a store. */
  enqueue(effect: SideEffect): void;
  /** Hands what was enqueued during this request to the queue (SQS), before the Lambda freezes. */
  handOff(): Promise<void>;
  /** Applies or hands off everything pending (shutdown). */
  close(): Promise<void>;
}
