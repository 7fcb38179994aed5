import { z } from 'zod';

export const PHASES = ['place', 'distribute', 'inject', 'align', 'execute'] as const;

export const PhaseEvidenceSchema = z
  .object({
    phase: z.enum(PHASES),
    status: z.string(),
    details: z.record(z.string(), z.unknown()),
    recorded_at: z.string(),
  })
  .meta({ id: 'PhaseEvidence', title: 'PhaseEvidence', description: 'What one pipeline phase did to a cap.' });

export type PhaseEvidence = z.output<typeof PhaseEvidenceSchema>;
