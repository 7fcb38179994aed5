import { z } from 'zod';

/** The pipeline's phases in the order they run; every cap's evidence lists them in this order. */
export const PHASES = ['place', 'distribute', 'inject', 'align', 'execute'] as const;
export type PhaseName = (typeof PHASES)[number];

/** The phases that admit a cap onto its lane, run within one instant before it is scheduled. */
export const ADMITTING_PHASES = ['place', 'distribute', 'inject', 'align'] as const satisfies readonly PhaseName[];

/** The status each admitting phase records (execute records the receipt's outcome). */
export const PHASE_STATUS: Readonly<Record<(typeof ADMITTING_PHASES)[number], string>> = {
  place: 'placed',
  distribute: 'lane-assigned',
  inject: 'slot-populated',
  align: 'aligned',
};

export const PhaseEvidenceSchema = z
  .object({
    phase: z.enum(PHASES),
    status: z.string(),
    details: z.record(z.string(), z.unknown()),
    recorded_at: z.string(),
  })
  .meta({ id: 'PhaseEvidence', title: 'PhaseEvidence', description: 'What one pipeline phase did to a cap.' });

export type PhaseEvidence = z.output<typeof PhaseEvidenceSchema>;
