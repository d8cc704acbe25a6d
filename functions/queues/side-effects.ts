import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseSideEffects } from '../../shared/adapters/sqs/SqsSideEffectQueue.js';
import type { SideEffect } from '../../shared/ports/SideEffectQueue.js';
import { dependencies } from '../../shared/runtime/Dependencies.js';
import { applySideEffects } from '../../shared/sideEffects/applySideEffects.js';

/**
 * The SQS consumer for side effects (not an HTTP route): a batch of messages becomes one SQL
 * statement per kind. Malformed messages are reported as failures and end in the dead-letter
 * queue; if the database is down the whole batch is retried by SQS.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const deps = await dependencies();
  const effects: SideEffect[] = [];
  const malformed: string[] = [];
  for (const record of event.Records) {
    try {
      effects.push(...parseSideEffects(record.body));
    } catch {
      malformed.push(record.messageId);
    }
  }
  try {
    await applySideEffects(deps.db, effects);
  } catch {
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
  return { batchItemFailures: malformed.map((id) => ({ itemIdentifier: id })) };
}
