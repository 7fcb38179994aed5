import type { CollisionPolicy } from '../../src/policy/lane.js';
import type { ScheduleDecision } from './trace.js';

/** A cap as the collision rules see it. */
export interface Contender {
  actor: string;
  priority: number;
  preemptible: boolean;
}

/**
 * What a lane's collision policy does when actors meet (product.md §5). A newcomer that is not
 * refused is inserted from the tail of the waiting queue, going ahead of each waiting cap it
 * `passes` and stopping at the first it does not, so it never jumps a cap that holds its place.
 */
export interface CollisionRow {
  refuses: boolean;
  passes(newcomer: Contender, waiting: Contender, rootActor: string): boolean;
  /** recorded when the newcomer went ahead of at least one waiting cap */
  decision: ScheduleDecision;
}

/** product.md §5, collision table, one row per policy. */
export const COLLISION_TABLE: Readonly<Record<CollisionPolicy, CollisionRow>> = {
  // the newcomer waits, first come first served
  queue: { refuses: false, passes: () => false, decision: 'queued' },
  // higher priority than waiting preemptible caps: goes ahead of them; otherwise waits
  graceful_yield: { refuses: false, passes: (n, w) => w.preemptible && w.priority < n.priority, decision: 'yielded-to' },
  // the lane's root actor goes ahead of other actors' waiting caps
  assert_root: { refuses: false, passes: (n, w, root) => n.actor === root && w.actor !== root, decision: 'root-first' },
  // the newcomer goes to the head of the queue, ahead of everything waiting
  override_all: { refuses: false, passes: () => true, decision: 'overrode' },
  // the newcomer is not run (receipt rejected, continuation reject, follow-up to triage)
  reject: { refuses: true, passes: () => false, decision: 'rejected' },
};

/** Used when actors do not meet: an actor's own caps keep their arrival order. */
export const NO_COLLISION: CollisionRow = COLLISION_TABLE.queue;
