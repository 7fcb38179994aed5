import type { DistributedCap } from './distributed.js';
import { requestedMode, resolveMode, type ContinuationMode } from '../policy/continuation.js';

/** Evidence details a phase reports beside its facts. */
export type Details = Record<string, unknown>;

/**
 * An executor's verdict. Left empty, the pipeline resolves the cap's requested continuation
 * (behaviour.md §6); an executor that refuses names a mode (`reject`, `resync-needed`) and why.
 */
export interface ExecutorVerdict {
  /** false when the cap was not run at all (refused before or by the executor) */
  accepted?: boolean;
  continuation_mode?: ContinuationMode;
  reason?: string;
  /** extra receipt payload fields, e.g. a guard's decision */
  details?: Details;
}

/** Measured facts the projection needs beyond the records themselves. */
export interface Measurements {
  latency_ms: number;
  verified: boolean;
}

/** The continuation a verdict leads to: the executor's own, else the cap's request resolved by its lane's coffee policy. */
export function verdictMode(distributed: DistributedCap, verdict: ExecutorVerdict): ContinuationMode {
  return verdict.continuation_mode ?? resolveMode(requestedMode(distributed.cap.payload), distributed.lane_policy.coffee_lane_policy);
}
