import { z } from 'zod';
import { COFFEE_POLICIES } from '../../src/policy/coffee.js';
import { outcomeFor } from '../../src/policy/continuation.js';
import { COLLISION_POLICIES } from '../../src/policy/lane.js';
import { verdictMode, type ExecutorVerdict } from '../../src/records/verdict.js';
import type { DistributedCap } from '../../src/records/result.js';

/**
 * What the mux did with a cap on arrival:
 * - `ran`: started at once, nothing waited ahead of it
 * - `queued`: waited in arrival order (also when a policy applied but passed nobody)
 * - `yielded-to`: graceful_yield, went ahead of waiting preemptible caps of lower priority
 * - `root-first`: assert_root, the lane's root actor went ahead of other actors' waiting caps
 * - `overrode`: override_all, went to the head of the queue ahead of waiting caps
 * - `rejected`: reject, refused because another actor held or queued caps on the lane
 * - `avoided`: hard_avoid, refused before the lane
 */
export const SCHEDULE_DECISIONS = ['ran', 'queued', 'yielded-to', 'root-first', 'overrode', 'rejected', 'avoided'] as const;
export type ScheduleDecision = (typeof SCHEDULE_DECISIONS)[number];

/**
 * What the verdict became: the receipt's outcome (behaviour.md §6), except that a hard-avoided
 * cap reads `avoided` (its receipt says outcome `executed`, continuation `hard_avoid`,
 * accepted false, for parity).
 */
export const SCHEDULE_OUTCOMES = ['executed', 'rejected', 'resync-needed', 'avoided'] as const;
export type ScheduleOutcome = (typeof SCHEDULE_OUTCOMES)[number];

const seq = z.number().int().nonnegative();

export const ScheduleTraceRecordSchema = z
  .object({
    cap_id: z.string(),
    actor_id: z.string(),
    lane_id: z.string(),
    priority: z.number().int(),
    burst_limit: z.number().int().min(1),
    lane_collision_policy: z.enum(COLLISION_POLICIES),
    coffee_lane_policy: z.enum(COFFEE_POLICIES),
    causal_rank: z.number().int().positive(),
    /** the `_seq` fields count the mux's events (arrive, start, finish) on one counter */
    enqueued_seq: seq,
    started_seq: seq.nullable(),
    finished_seq: seq,
    decision: z.enum(SCHEDULE_DECISIONS),
    outcome: z.enum(SCHEDULE_OUTCOMES),
  })
  .strict()
  .meta({ id: 'ScheduleTraceRecord', title: 'ScheduleTraceRecord', description: 'How the lane mux scheduled one cap.' });

export type ScheduleTraceRecord = z.output<typeof ScheduleTraceRecordSchema>;

/** The trace outcome of a verdict, read the way buildReceipt reads it. */
export function scheduleOutcome(distributed: DistributedCap, verdict: ExecutorVerdict, decision: ScheduleDecision): ScheduleOutcome {
  if (decision === 'avoided') return 'avoided';
  return outcomeFor(verdictMode(distributed, verdict));
}
