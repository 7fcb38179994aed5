import { z } from 'zod';
import { CapSchema } from './cap.js';
import { PhaseEvidenceSchema } from './evidence.js';
import { LanePolicySchema } from '../policy/lane.js';
import { CapReceiptSchema } from './receipt.js';
import { UsageEventSchema } from './usage-event.js';
import { ResultSealSchema } from './seal-facts.js';

export const DistributedCapSchema = z
  .object({
    cap: CapSchema,
    causal_rank: z.number().int().positive(),
    lane_id: z.string(),
    lane_policy: LanePolicySchema,
    memory_slot: z.string(),
    alignment_group: z.string(),
    evidence: z.array(PhaseEvidenceSchema),
  })
  .meta({ id: 'DistributedCap', title: 'DistributedCap', description: 'A cap as placed, laned, slotted and aligned.' });

export type DistributedCap = z.output<typeof DistributedCapSchema>;

export const ExecutionResultSchema = z
  .object({
    distributed: DistributedCapSchema,
    receipt: CapReceiptSchema,
    usage_events: z.array(UsageEventSchema),
    spawned_caps: z.array(CapSchema),
    /** present when the bus verifies and seals (sealing is on for every CLI run) */
    seal: ResultSealSchema.optional(),
  })
  .meta({ id: 'ExecutionResult', title: 'ExecutionResult', description: 'Everything one cap produced.' });

export type ExecutionResult = z.output<typeof ExecutionResultSchema>;
