import { compareCausal } from '../../src/records/causal.js';
import type { ExecutorVerdict } from '../../src/pipeline/phases.js';
import type { DistributedCap } from '../../src/records/result.js';
import type { CollisionRow, Contender } from './collision.js';
import type { ScheduleDecision } from './trace.js';

const unsettled = () => {};

/** One admitted cap, waiting or running. While it waits it is linked into its lane's queue. */
export class Entry implements Contender {
  readonly actor: string;
  readonly priority: number;
  readonly preemptible: boolean;
  readonly burstLimit: number;
  prev: Entry | null = null;
  next: Entry | null = null;
  startedSeq: number | null = null;
  decision: ScheduleDecision = 'queued';
  resolve: (verdict: ExecutorVerdict) => void = unsettled;

  constructor(
    readonly distributed: DistributedCap,
    readonly run: () => Promise<ExecutorVerdict>,
    readonly enqueuedSeq: number,
  ) {
    const policy = distributed.lane_policy;
    this.actor = distributed.cap.actor_id;
    this.priority = policy.priority;
    this.preemptible = policy.preemptible;
    this.burstLimit = policy.burst_limit;
  }
}

/** A doubly linked run of waiting entries: O(1) at both ends, and insertion where a scan stops. */
class Waitlist {
  head: Entry | null = null;
  tail: Entry | null = null;

  /** Links `entry` right after `after`, or at the head when `after` is null. */
  insertAfter(after: Entry | null, entry: Entry): void {
    const next = after === null ? this.head : after.next;
    entry.prev = after;
    entry.next = next;
    if (after === null) this.head = entry;
    else after.next = entry;
    if (next === null) this.tail = entry;
    else next.prev = entry;
  }

  shift(): void {
    const head = this.head!;
    this.head = head.next;
    if (this.head === null) this.tail = null;
    else this.head.prev = null;
    head.next = null;
  }
}

/**
 * One lane during a busy period: from the first cap that arrives while it is idle (its root
 * actor) until it holds and queues nothing again, when the mux forgets it.
 */
export class Lane {
  running = 0;
  /** caps running or waiting */
  size = 0;
  /** position in the mux's ready-lane heap, -1 when not in it */
  heapIndex = -1;
  private readonly perActor = new Map<string, number>();
  private readonly main = new Waitlist();
  /** polite_avoid caps wait behind everything in `main` */
  private readonly polite = new Waitlist();

  constructor(
    readonly id: string,
    readonly rootActor: string,
  ) {}

  /** Actors meet: the lane holds or queues a cap of some other actor. */
  meets(actor: string): boolean {
    return this.size > (this.perActor.get(actor) ?? 0);
  }

  /** Some actor other than `actor` on the lane (for a refusal's reason). */
  otherActor(actor: string): string {
    for (const other of this.perActor.keys()) if (other !== actor) return other;
    return actor;
  }

  join(actor: string): void {
    this.size++;
    this.perActor.set(actor, (this.perActor.get(actor) ?? 0) + 1);
  }

  leave(actor: string): void {
    this.size--;
    const left = this.perActor.get(actor)! - 1;
    if (left === 0) this.perActor.delete(actor);
    else this.perActor.set(actor, left);
  }

  head(): Entry | null {
    return this.main.head ?? this.polite.head;
  }

  /** The head, when the lane's burst limit (as the head's policy states it) lets it start. */
  startable(): Entry | null {
    const head = this.head();
    return head !== null && this.running < head.burstLimit ? head : null;
  }

  /** Queues a polite entry at the very back. */
  enqueueLast(entry: Entry): void {
    this.polite.insertAfter(this.polite.tail, entry);
  }

  /** Queues an entry by `row`'s passing rule; returns how many waiting caps it went ahead of. */
  enqueue(entry: Entry, row: CollisionRow): number {
    let after = this.main.tail;
    let passed = 0;
    while (after !== null && row.passes(entry, after, this.rootActor)) {
      after = after.prev;
      passed++;
    }
    this.main.insertAfter(after, entry);
    return passed;
  }

  /** Unlinks the head (which is about to start). */
  shift(): void {
    if (this.main.head !== null) this.main.shift();
    else this.polite.shift();
  }
}

/**
 * Lanes whose head could start but for the mux's global limit, best first: higher head
 * priority, then the head that arrived first. An indexed binary heap, so re-keying a lane whose
 * head changed is O(log lanes) and no decision scans all lanes.
 */
const causalKey = (entry: Entry) => ({ causal_rank: entry.distributed.causal_rank, actor_id: entry.distributed.cap.actor_id, cap_id: entry.distributed.cap.cap_id });

export class ReadyLanes {
  private readonly heap: Lane[] = [];

  peek(): Lane | undefined {
    return this.heap[0];
  }

  /** Puts the lane in (at its current key) when `ready`, takes it out otherwise. */
  update(lane: Lane, ready: boolean): void {
    const at = lane.heapIndex;
    if (!ready) {
      if (at >= 0) this.removeAt(at);
      return;
    }
    if (at < 0) {
      lane.heapIndex = this.heap.length;
      this.heap.push(lane);
      this.up(lane.heapIndex);
    } else {
      this.up(at);
      this.down(lane.heapIndex);
    }
  }

  private removeAt(at: number): void {
    const gone = this.heap[at]!;
    const last = this.heap.pop()!;
    gone.heapIndex = -1;
    if (last === gone) return;
    this.place(last, at);
    this.up(at);
    this.down(last.heapIndex);
  }

  /** Higher priority first; equal priorities in causal order (in one runtime, that is arrival order). */
  private ahead(a: Lane, b: Lane): boolean {
    const x = a.head()!;
    const y = b.head()!;
    return x.priority > y.priority || (x.priority === y.priority && compareCausal(causalKey(x), causalKey(y)) < 0);
  }

  private place(lane: Lane, at: number): void {
    this.heap[at] = lane;
    lane.heapIndex = at;
  }

  private up(at: number): void {
    const lane = this.heap[at]!;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.ahead(lane, this.heap[parent]!)) break;
      this.place(this.heap[parent]!, at);
      at = parent;
    }
    this.place(lane, at);
  }

  private down(at: number): void {
    const lane = this.heap[at]!;
    const n = this.heap.length;
    for (;;) {
      let best = 2 * at + 1;
      if (best >= n) break;
      if (best + 1 < n && this.ahead(this.heap[best + 1]!, this.heap[best]!)) best++;
      if (!this.ahead(this.heap[best]!, lane)) break;
      this.place(this.heap[best]!, at);
      at = best;
    }
    this.place(lane, at);
  }
}
