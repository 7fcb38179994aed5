import type { Cap } from '../../src/records/cap.js';
import type { Aligner } from '../../src/pipeline/phases.js';

/** One process is one cluster member: every lane aligns to its own group. */
export class LocalAligner implements Aligner {
  align(_cap: Cap, laneId: string, memorySlot: string) {
    const alignment_group = `align:${laneId}`;
    return { alignment_group, details: { alignment_group, cluster_mode: 'single-node', memory_slot: memorySlot } };
  }
}
