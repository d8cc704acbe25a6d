/**
 * Work that must never slow down or fail a request, and must still happen after the response
 * (when Lambda may freeze the process for good): recorded now, applied later in batches. SQS with
 * a batch consumer in AWS; an in-process queue locally.
 *  - last-login, download, token-used: bookkeeping in SQL, one statement per kind per batch;
 *  - settle-revocations: apply the revocations SQL committed and DynamoDB has not taken yet
 *    (shared/auth/revocations.ts); every batch does this anyway, the effect makes sure one runs;
 *  - prune-sessions: delete a user's session items that can no longer authenticate.
 */
export type SideEffect =
  | { kind: 'last-login'; userId: number; at: number }
  /**
   * A download of an archive; `client` is downloadClientKey(...) of the caller's address for it
   * and `at` its time, so a client counts once per version per window (shared/sideEffects/
   * downloadCounts.ts). Both are absent only on downloads recorded before that existed.
   */
  | { kind: 'download'; sha256: string; client?: string; at?: number }
  | { kind: 'token-used'; tokenId: string; at: number }
  | { kind: 'settle-revocations' }
  | { kind: 'prune-sessions'; userId: number };

export interface SideEffectQueue {
  /** Never throws and never waits on a store. */
  enqueue(effect: SideEffect): void;
  /** Hands what was enqueued during this request to the queue (SQS), before the Lambda freezes. */
  handOff(): Promise<void>;
  /** Applies or hands off everything pending (shutdown). */
  close(): Promise<void>;
}
