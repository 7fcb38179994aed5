import type { BusConfig } from '../../src/config.js';
import type { IdSource } from '../../src/clock.js';
import type { Projector } from '../../src/pipeline/phases.js';
import { projectUsage } from '../../src/records/usage-event.js';

/** The usage projection of behaviour.md §8, with ids and endpoints from the bus context. */
export function usageProjector(ids: IdSource, config: BusConfig): Projector {
  return { project: (d, receipt, measured) => projectUsage(d, receipt, measured, ids, config) };
}
