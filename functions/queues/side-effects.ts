import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseSideEffects } from '../../shared/adapters/sqs/SqsSideEffectQueue.js';
import type { SideEffect } from '../../shared/ports/SideEffectQueue.js';
import { dependencies } from '../../shared/runtime/Dependencies.js';
import { processSideEffects } from '../../shared/sideEffects/applySideEffects.js';

const retryKey = (e: SideEffect) => (e.kind === 'prune-sessions' ? `prune#${e.userId}` : e.kind);

/**
 * The SQS consumer for side effects (not an HTTP route): a batch of messages becomes one SQL
 * statement per kind, then the DynamoDB work (the revocation outbox swept, dead sessions pruned).
 * Malformed messages are reported as failures and end in the dead-letter queue; if the database
 * is down the whole batch is retried by SQS; if DynamoDB is, only the messages carrying the
 * DynamoDB work that failed are (their SQL part, if any, is applied again: timestamps only move
 * forward, and a download already counted for its client and window is not counted again).
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const deps = await dependencies();
  const effects: SideEffect[] = [];
  const carried = new Map<string, SideEffect[]>();
  const malformed: string[] = [];
  for (const record of event.Records) {
    try {
      const parsed = parseSideEffects(record.body);
      carried.set(record.messageId, parsed);
      effects.push(...parsed);
    } catch {
      malformed.push(record.messageId);
    }
  }
  let failed: SideEffect[];
  try {
    failed = await processSideEffects(deps, effects);
  } catch {
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
  const retry = new Set(failed.map(retryKey));
  const again = [...carried].filter(([, carries]) => carries.some((e) => retry.has(retryKey(e)))).map(([id]) => id);
  return { batchItemFailures: [...malformed, ...again].map((id) => ({ itemIdentifier: id })) };
}
