import { z } from 'zod';
import { CapSchema } from './cap.js';
import { PhaseEvidenceSchema } from './evidence.js';
import { LanePolicySchema } from '../policy/lane.js';

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
