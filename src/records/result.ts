import { z } from 'zod';
import { DistributedCapSchema } from './distributed.js';
import { CapSchema } from './cap.js';
import { CapReceiptSchema } from './receipt.js';
import { UsageEventSchema } from './usage-event.js';
import { ResultSealSchema } from './seal-facts.js';

export { DistributedCapSchema, type DistributedCap } from './distributed.js';

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
