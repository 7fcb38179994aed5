import { z } from 'zod';
import { CONTINUATION_MODES, OUTCOMES, outcomeFor } from '../policy/continuation.js';
import type { DistributedCap } from './distributed.js';
import { verdictMode, type ExecutorVerdict } from './verdict.js';

export const ReceiptPayloadSchema = z
  .looseObject({
    accepted: z.boolean(),
    executed_intent: z.string(),
    lane_id: z.string(),
    memory_slot: z.string().nullable(),
    alignment_group: z.string().nullable(),
    continuation_mode: z.enum(CONTINUATION_MODES).exclude(['resume']),
    /** why a cap was not run (trust failure, lane refusal, avoidance, guard block) */
    reason: z.string().optional(),
  })
  .meta({ id: 'ReceiptPayload', title: 'ReceiptPayload' });

export const CapReceiptSchema = z
  .object({
    receipt_id: z.string().regex(/^receipt_[0-9a-f]{16}$/),
    cap_id: z.string(),
    actor_id: z.string(),
    outcome: z.enum(OUTCOMES),
    continuation_mode: z.enum(CONTINUATION_MODES).exclude(['resume']),
    created_at: z.string(),
    /** content hash of the cap this receipt answers; null on a bus that does not seal */
    cap_hash: z.string().nullable(),
    payload: ReceiptPayloadSchema,
  })
  .meta({ id: 'CapReceipt', title: 'CapReceipt', description: 'What the bus did with one cap.' });

export type CapReceipt = z.output<typeof CapReceiptSchema>;

/** The receipt phase: the executor's verdict (or the cap's own request) becomes the record. */
export function buildReceipt(d: DistributedCap, verdict: ExecutorVerdict, receiptId: string, createdAt: string, capHash: string | null): CapReceipt {
  const mode = verdictMode(d, verdict);
  return {
    receipt_id: receiptId,
    cap_id: d.cap.cap_id,
    actor_id: d.cap.actor_id,
    outcome: outcomeFor(mode),
    continuation_mode: mode,
    created_at: createdAt,
    cap_hash: capHash,
    payload: {
      accepted: verdict.accepted ?? true,
      executed_intent: d.cap.intent,
      lane_id: d.lane_id,
      memory_slot: d.memory_slot,
      alignment_group: d.alignment_group,
      continuation_mode: mode,
      ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
      ...verdict.details,
    },
  };
}

/** An executor that threw left the cap's effect unknown: the receipt asks for a resync. */
export function executorFailure(error: unknown): ExecutorVerdict {
  const message = error instanceof Error ? error.message : String(error);
  return { continuation_mode: 'resync-needed', reason: `executor-error: ${message}` };
}
