import type { Cap } from '../../src/records/cap.js';
import { partitionOf } from '../../src/partition.js';
import type { Aligner } from '../../src/pipeline/phases.js';

/** The alignment group of a lane: every cap of one lane is scheduled together. */
const groupOf = (laneId: string) => `align:${laneId}`;

/** One process is one cluster member: every lane aligns to its own group. */
export class LocalAligner implements Aligner {
  align(_cap: Cap, laneId: string, memorySlot: string) {
    const alignment_group = groupOf(laneId);
    return { alignment_group, details: { alignment_group, cluster_mode: 'single-node', memory_slot: memorySlot } };
  }
}

/**
 * A deployment of several workers (product.md §7): the group also names its partition, whose
 * one owner schedules every cap of the group's lane. The evidence records both.
 */
export class PartitionedAligner implements Aligner {
  constructor(readonly partitions: number) {
    partitionOf('', partitions); // checks the count now, not on the first cap
  }

  align(_cap: Cap, laneId: string, memorySlot: string) {
    const alignment_group = groupOf(laneId);
    const partition = partitionOf(alignment_group, this.partitions);
    return { alignment_group, details: { alignment_group, cluster_mode: 'partitioned', memory_slot: memorySlot, partition, partitions: this.partitions } };
  }
}
