import type { Cap } from '../../src/records/cap.js';
import type { Injector } from '../../src/pipeline/phases.js';

/** Names the executor-bound slot `slot:<lane_id>:<rank>`; in one process the cap object itself is the slot content. */
export class MemorySlotInjector implements Injector {
  inject(cap: Cap, laneId: string, causalRank: number) {
    const memory_slot = `slot:${laneId}:${causalRank}`;
    return { memory_slot, details: { memory_slot, executor_class: cap.executor_class, memory_regime: 'process-memory' } };
  }
}
