import { z } from 'zod';
import { DistributedCapSchema } from './distributed.js';
import { CapSchema } from './cap.js';
import { CapReceiptSchema } from './receipt.js';
import { UsageEventSchema } from './usage-event.js';
import { CapSealSchema, ResultSealSchema } from './seal-facts.js';

export { DistributedCapSchema, type DistributedCap } from './distributed.js';

/**
 * A cap through the phases before the lane, not yet scheduled: what a scaled-out worker hands to
 * the owner of the cap's partition (product.md §7), which completes it.
 */
export const AdmittedCapSchema = z
  .object({
    distributed: DistributedCapSchema,
    seal: CapSealSchema,
    /** why the cap must not run (it is still laned and gets its rejected receipt), or null */
    refused: z.string().nullable(),
    /** build the follow-ups its receipt asks for */
    spawn: z.boolean(),
  })
  .meta({ id: 'AdmittedCap', title: 'AdmittedCap', description: 'A cap verified, placed, laned, slotted and aligned, waiting for its lane.' });

export type AdmittedCap = z.output<typeof AdmittedCapSchema>;

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
