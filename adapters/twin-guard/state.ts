import { z } from 'zod';
import { parseIsoTimestamp } from '../../src/clock.js';
import { TWIN_PROFILE_NAMES } from './profiles.js';

/** Status words are lowercase tokens, so `FAULT` can never slip past the fault rule as a new word. */
const STATUS_PATTERN = /^[a-z][a-z0-9_-]*$/;

export const TwinStateSchema = z
  .object({
    device_id: z.string().min(1, 'device_id must not be empty'),
    timestamp: z.string().refine((t) => parseIsoTimestamp(t) !== null, 'timestamp must be an ISO-8601 timestamp'),
    values: z.record(z.string(), z.number()),
    status: z.string().regex(STATUS_PATTERN, 'status must be a lowercase word such as operational or fault'),
  })
  .meta({ id: 'TwinState', title: 'TwinState', description: 'One side of a device (physical sensor or digital twin) at one instant.' });

export type TwinState = z.output<typeof TwinStateSchema>;

/** The two sides the guard compares; the bus names the twin side `virtual` in its intents. */
export type TwinSide = 'physical' | 'twin';

/** The intents of state caps, per side: their payload is the state, their actor the reporter (the bus calls the twin side `virtual`). */
export const STATE_INTENT: Readonly<Record<TwinSide, string>> = { physical: 'twin.state.physical', twin: 'twin.state.virtual' };

export const TwinDeviceSchema = z
  .object({
    device_id: z.string().min(1),
    profile: z.enum(TWIN_PROFILE_NAMES),
    /** per value key, the largest |physical − twin| still in sync; keys not listed must match exactly */
    tolerances: z.record(z.string(), z.number().nonnegative()).default({}),
    physical_actor: z.string().min(1),
    twin_actor: z.string().min(1),
  })
  .strict()
  .meta({ id: 'TwinDevice', title: 'TwinDevice', description: 'A device the twin guard protects, and who may report its states.' });

export type TwinDevice = z.output<typeof TwinDeviceSchema>;
export type TwinDeviceInput = z.input<typeof TwinDeviceSchema>;

/** Who reported a state; `verified` is true only when a seal proved it (never the payload's say-so). */
export interface StateReport {
  actor_id: string;
  verified: boolean;
}

/** A stored state with its parsed time and its reporter. */
export interface Reading extends StateReport {
  state: TwinState;
  at_ms: number;
}

/** A Reading as a deployment-wide store keeps it (checked again when read back). */
export const ReadingSchema: z.ZodType<Reading> = z
  .object({ state: TwinStateSchema, at_ms: z.number(), actor_id: z.string().min(1), verified: z.boolean() })
  .strict();

export const CHECK_NAMES = ['values', 'identity', 'time', 'intent'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  passed: boolean;
  detail: string;
}

/** One value key compared; null where a side did not report the key. */
export const ValueDeltaSchema = z.object({
  physical: z.number().nullable(),
  twin: z.number().nullable(),
  delta: z.number().nullable(),
  tolerance: z.number(),
  within: z.boolean(),
});
export type ValueDelta = z.output<typeof ValueDeltaSchema>;
