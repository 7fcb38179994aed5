import { executorFailure } from '../../src/records/receipt.js';
import type { LanePolicy } from '../../src/policy/lane.js';
import type { ExecutorVerdict, Scheduler } from '../../src/pipeline/phases.js';
import type { DistributedCap } from '../../src/records/result.js';
import { COFFEE_ACTIONS } from './coffee-actions.js';
import { COLLISION_TABLE, NO_COLLISION } from './collision.js';
import { Entry, Lane, ReadyLanes } from './lane-queue.js';
import { scheduleOutcome, type ScheduleDecision, type ScheduleTraceRecord } from './trace.js';

/** One busy lane's load right now. */
export interface LaneLoad {
  lane_id: string;
  running: number;
  queued: number;
}

export interface LaneMuxOptions {
  /**
   * Most caps running across all lanes at once. Unlimited by default, and lanes are then
   * independent; with a limit, a freed slot goes to the ready lane whose head has the highest
   * priority (product.md §5: "when several lanes are ready, higher priority starts first").
   */
  maxRunning?: number;
  /** Receives one record per cap as it settles (e.g. to write `--schedule-trace` JSONL). Must not throw. */
  onTrace?: (record: ScheduleTraceRecord) => void;
}

/**
 * The lane mux of product.md §5: per-lane queues, at most `burst_limit` running per lane,
 * collision and coffee-lane policies from the tables in collision.ts. Every admitted cap settles
 * exactly once, with its own verdict or with the refusal that says why it did not run.
 */
export class LaneMux implements Scheduler {
  private seq = 0;
  private running = 0;
  private readonly lanes = new Map<string, Lane>();
  private readonly ready = new ReadyLanes();
  private readonly maxRunning: number;
  private readonly onTrace: ((record: ScheduleTraceRecord) => void) | undefined;

  constructor(options: LaneMuxOptions = {}) {
    const max = options.maxRunning ?? Number.POSITIVE_INFINITY;
    if (!(max === Number.POSITIVE_INFINITY || (Number.isInteger(max) && max >= 1))) {
      throw new RangeError(`maxRunning must be an integer >= 1, got ${max}`);
    }
    this.maxRunning = max;
    this.onTrace = options.onTrace;
  }

  /** Lanes holding or queueing caps right now (idle lanes are forgotten). */
  get busyLanes(): number {
    return this.lanes.size;
  }

  /** Caps running right now, over all lanes. */
  get runningCaps(): number {
    return this.running;
  }

  /** Running and waiting caps of every busy lane (idle lanes are forgotten, so not listed). */
  laneLoad(): LaneLoad[] {
    return [...this.lanes.values()].map((lane) => ({ lane_id: lane.id, running: lane.running, queued: lane.size - lane.running }));
  }

  admit(distributed: DistributedCap, run: () => Promise<ExecutorVerdict>): Promise<ExecutorVerdict> {
    const enqueuedSeq = this.seq++;
    const policy = distributed.lane_policy;
    const fault = policyFault(policy);
    if (fault !== null) return this.refuse(distributed, enqueuedSeq, 'rejected', { accepted: false, continuation_mode: 'reject', reason: fault });

    const coffee = COFFEE_ACTIONS[policy.coffee_lane_policy];
    if (coffee === 'avoid') {
      return this.refuse(distributed, enqueuedSeq, 'avoided', {
        accepted: false,
        continuation_mode: 'hard_avoid',
        reason: `coffee_lane_policy=hard_avoid (${policy.coffee_reason}): not executed`,
      });
    }

    const actor = distributed.cap.actor_id;
    let lane = this.lanes.get(distributed.lane_id);
    let row = NO_COLLISION;
    if (lane === undefined) {
      lane = new Lane(distributed.lane_id, actor);
      this.lanes.set(lane.id, lane);
    } else if (lane.meets(actor)) {
      row = COLLISION_TABLE[policy.lane_collision_policy];
      if (row.refuses) {
        return this.refuse(distributed, enqueuedSeq, 'rejected', {
          accepted: false,
          continuation_mode: 'reject',
          reason: `lane_collision_policy=reject: lane ${lane.id} is held by actor ${lane.otherActor(actor)}`,
        });
      }
    }

    const entry = new Entry(distributed, run, enqueuedSeq);
    const settled = new Promise<ExecutorVerdict>((resolve) => {
      entry.resolve = resolve;
    });
    lane.join(actor);
    if (coffee === 'last') lane.enqueueLast(entry);
    else if (lane.enqueue(entry, row) > 0) entry.decision = row.decision;
    this.pump(lane);
    if (entry.decision === 'queued' && entry.startedSeq !== null) entry.decision = 'ran';
    return settled;
  }

  /** Starts what may start after `lane` changed: on the lane itself, or (with a global limit) the best ready lane. */
  private pump(lane: Lane): void {
    if (this.maxRunning === Number.POSITIVE_INFINITY) {
      for (let head = lane.startable(); head !== null; head = lane.startable()) this.start(lane, head);
    } else {
      this.ready.update(lane, lane.startable() !== null);
      for (let best = this.ready.peek(); best !== undefined && this.running < this.maxRunning; best = this.ready.peek()) {
        this.start(best, best.head()!);
        this.ready.update(best, best.startable() !== null);
      }
    }
    if (lane.size === 0) this.lanes.delete(lane.id);
  }

  private start(lane: Lane, entry: Entry): void {
    lane.shift();
    lane.running++;
    this.running++;
    entry.startedSeq = this.seq++;
    let work: Promise<ExecutorVerdict>;
    try {
      work = entry.run();
    } catch (error) {
      work = Promise.reject(error);
    }
    work.then(
      (verdict) => this.finish(lane, entry, verdict),
      (error: unknown) => this.finish(lane, entry, executorFailure(error)),
    );
  }

  private finish(lane: Lane, entry: Entry, verdict: ExecutorVerdict): void {
    const finishedSeq = this.seq++;
    lane.running--;
    this.running--;
    lane.leave(entry.actor);
    entry.resolve(verdict);
    this.pump(lane);
    // last, so a misbehaving callback cannot leave the lane half-updated
    this.emit(entry.distributed, entry.enqueuedSeq, entry.startedSeq, finishedSeq, entry.decision, verdict);
  }

  /** A cap refused before the lane (failed verification) still gets its trace line. */
  refused(distributed: DistributedCap, verdict: ExecutorVerdict): void {
    this.emit(distributed, this.seq++, null, this.seq++, 'rejected', verdict);
  }

  private refuse(distributed: DistributedCap, enqueuedSeq: number, decision: ScheduleDecision, verdict: ExecutorVerdict): Promise<ExecutorVerdict> {
    this.emit(distributed, enqueuedSeq, null, this.seq++, decision, verdict);
    return Promise.resolve(verdict);
  }

  private emit(d: DistributedCap, enqueuedSeq: number, startedSeq: number | null, finishedSeq: number, decision: ScheduleDecision, verdict: ExecutorVerdict): void {
    if (this.onTrace === undefined) return;
    const p = d.lane_policy;
    this.onTrace({
      cap_id: d.cap.cap_id,
      actor_id: d.cap.actor_id,
      lane_id: d.lane_id,
      priority: p.priority,
      burst_limit: p.burst_limit,
      lane_collision_policy: p.lane_collision_policy,
      coffee_lane_policy: p.coffee_lane_policy,
      causal_rank: d.causal_rank,
      enqueued_seq: enqueuedSeq,
      started_seq: startedSeq,
      finished_seq: finishedSeq,
      decision,
      outcome: scheduleOutcome(d, verdict, decision),
    });
  }
}

/**
 * A user derivation may hand over a policy outside the contract; such a cap could never start
 * (burst_limit 0) or would break the ordering (NaN priority), so it is refused with the reason.
 */
function policyFault(policy: LanePolicy): string | null {
  if (!Object.hasOwn(COLLISION_TABLE, policy.lane_collision_policy)) return `lane_collision_policy ${String(policy.lane_collision_policy)} is not a known policy`;
  if (!Object.hasOwn(COFFEE_ACTIONS, policy.coffee_lane_policy)) return `coffee_lane_policy ${String(policy.coffee_lane_policy)} is not a known policy`;
  if (!Number.isInteger(policy.burst_limit) || policy.burst_limit < 1) return `burst_limit must be an integer >= 1, got ${policy.burst_limit}`;
  if (!Number.isFinite(policy.priority)) return `priority must be a finite number, got ${policy.priority}`;
  return null;
}

