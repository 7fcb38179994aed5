import { OUTCOMES, type Outcome } from '../../src/policy/continuation.js';
import type { ExecutionResult } from '../../src/records/result.js';
import type { WorkerObserver } from '../nats/observer.js';
import type { RefusalCode } from '../nats/refusal.js';

/**
 * Which partitions a worker schedules (product.md §7); an unpartitioned worker schedules every
 * lane. `first_share_held`: it has held its first share (readiness waits for it).
 */
export type OwnedPartitions = { partitioned: false } | { partitioned: true; count: number; owned: readonly number[]; first_share_held: boolean };

/** Asked whenever stats or readiness are reported; the scale-out worker plugs its lease table in here. */
export type PartitionProvider = () => OwnedPartitions;

export const UNPARTITIONED: PartitionProvider = () => ({ partitioned: false });

export interface WorkerStatsSnapshot {
  caps: Record<Outcome, number>;
  refusals: Partial<Record<RefusalCode, number>>;
  /** mean time from taking a message up to its receipt, over every settled cap; null before the first */
  average_processing_ms: number | null;
  partitions: OwnedPartitions;
}

/** Counts what a worker settled and refused, as its observer. */
export class WorkerStats implements WorkerObserver {
  private readonly caps = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  private readonly refusals: Partial<Record<RefusalCode, number>> = {};
  private processingMs = 0;
  private settledCount = 0;

  constructor(private readonly partitions: PartitionProvider = UNPARTITIONED) {}

  settled(result: ExecutionResult, processingMs: number): void {
    this.caps[result.receipt.outcome]++;
    this.settledCount++;
    this.processingMs += processingMs;
  }

  refused(code: RefusalCode): void {
    this.refusals[code] = (this.refusals[code] ?? 0) + 1;
  }

  snapshot(): WorkerStatsSnapshot {
    return {
      caps: { ...this.caps },
      refusals: { ...this.refusals },
      average_processing_ms: this.settledCount === 0 ? null : Math.round((this.processingMs / this.settledCount) * 1000) / 1000,
      partitions: this.partitions(),
    };
  }
}
