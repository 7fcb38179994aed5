import { ScheduleTraceRecordSchema, type ScheduleTraceRecord } from '../mux/index.js';
import type { Cap } from '../../src/records/cap.js';
import { laneId } from '../../src/policy/lane.js';
import type { ExecutionResult } from '../../src/records/result.js';
import type { ScenarioRun } from './scenario.js';

/** Invariant checkers: each returns the violations it found, as sentences (none: the run was sound). */

/** Every cap that entered (the roots and every follow-up they spawned) has exactly one receipt, and nothing else has one. */
export function checkOneReceiptPerCap(roots: readonly Cap[], results: readonly ExecutionResult[]): string[] {
  const expected = new Set([...roots.map((c) => c.cap_id), ...results.flatMap((r) => r.spawned_caps.map((c) => c.cap_id))]);
  const seen = new Map<string, number>();
  for (const r of results) seen.set(r.receipt.cap_id, (seen.get(r.receipt.cap_id) ?? 0) + 1);
  const out: string[] = [];
  for (const id of expected) if (seen.get(id) !== 1) out.push(`${id}: ${seen.get(id) ?? 0} receipts, expected 1`);
  for (const id of seen.keys()) if (!expected.has(id)) out.push(`${id}: receipt for a cap that never entered`);
  return out;
}

/** One valid trace line per result, agreeing with its receipt; event numbers unique and in order. */
export function checkTraceMatchesReceipts(results: readonly ExecutionResult[], trace: readonly ScheduleTraceRecord[]): string[] {
  const out: string[] = [];
  const byCap = new Map<string, ScheduleTraceRecord>();
  const seqs = new Set<number>();
  for (const t of trace) {
    const parsed = ScheduleTraceRecordSchema.safeParse(t);
    if (!parsed.success) out.push(`${t.cap_id}: trace record invalid: ${parsed.error.message}`);
    if (byCap.has(t.cap_id)) out.push(`${t.cap_id}: more than one trace record`);
    byCap.set(t.cap_id, t);
    for (const s of [t.enqueued_seq, t.started_seq, t.finished_seq]) {
      if (s === null) continue;
      if (seqs.has(s)) out.push(`${t.cap_id}: event seq ${s} used twice`);
      seqs.add(s);
    }
    const refused = t.decision === 'rejected' || t.decision === 'avoided';
    if (refused !== (t.started_seq === null)) out.push(`${t.cap_id}: decision ${t.decision} but started_seq ${t.started_seq}`);
    const start = t.started_seq ?? t.enqueued_seq;
    if (!(t.enqueued_seq <= start && start < t.finished_seq)) out.push(`${t.cap_id}: seqs out of order`);
  }
  if (trace.length !== results.length) out.push(`${trace.length} trace records for ${results.length} receipts`);
  for (const r of results) {
    const t = byCap.get(r.receipt.cap_id);
    if (t === undefined) {
      out.push(`${r.receipt.cap_id}: no trace record`);
      continue;
    }
    const d = r.distributed;
    const same = t.actor_id === d.cap.actor_id && t.lane_id === d.lane_id && t.causal_rank === d.causal_rank && t.priority === d.lane_policy.priority && t.burst_limit === d.lane_policy.burst_limit;
    if (!same) out.push(`${t.cap_id}: trace record disagrees with the distributed cap`);
    const expected = t.decision === 'avoided' ? 'avoided' : r.receipt.outcome;
    if (t.outcome !== expected) out.push(`${t.cap_id}: trace outcome ${t.outcome}, receipt says ${r.receipt.outcome}`);
    if (t.decision === 'avoided' && !(r.receipt.continuation_mode === 'hard_avoid' && r.receipt.payload.accepted === false && r.receipt.payload.reason)) {
      out.push(`${t.cap_id}: avoided, but the receipt does not say so (hard_avoid, not accepted, reason)`);
    }
  }
  return out;
}

interface TraceEvent {
  seq: number;
  start: boolean;
  record: ScheduleTraceRecord;
}

/** Starts and finishes of caps that ran, in event order. */
function timeline(trace: readonly ScheduleTraceRecord[]): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const record of trace) {
    if (record.started_seq === null) continue;
    events.push({ seq: record.started_seq, start: true, record }, { seq: record.finished_seq, start: false, record });
  }
  return events.sort((a, b) => a.seq - b.seq);
}

/** When a cap starts, the caps running on its lane (itself included) never exceed its burst_limit. */
export function checkBurstLimits(trace: readonly ScheduleTraceRecord[]): string[] {
  const out: string[] = [];
  const running = new Map<string, number>();
  for (const e of timeline(trace)) {
    const lane = e.record.lane_id;
    const now = (running.get(lane) ?? 0) + (e.start ? 1 : -1);
    running.set(lane, now);
    if (e.start && now > e.record.burst_limit) out.push(`${e.record.cap_id}: started as ${now} running on ${lane}, burst_limit ${e.record.burst_limit}`);
  }
  return out;
}

/** With a global limit (`LaneMux` maxRunning, `--max-running`), the caps running over all lanes when a cap starts (itself included) never exceed it. */
export function checkMaxRunning(trace: readonly ScheduleTraceRecord[], maxRunning: number): string[] {
  const out: string[] = [];
  let running = 0;
  for (const e of timeline(trace)) {
    running += e.start ? 1 : -1;
    if (e.start && running > maxRunning) out.push(`${e.record.cap_id}: started as ${running} running over all lanes, max_running ${maxRunning}`);
  }
  return out;
}

/** On a lane where every cap that entered has policy reject, caps of two actors never run at once. */
export function checkRejectLanes(trace: readonly ScheduleTraceRecord[]): string[] {
  const rejectOnly = new Map<string, boolean>();
  for (const t of trace) {
    if (t.decision === 'avoided') continue;
    rejectOnly.set(t.lane_id, (rejectOnly.get(t.lane_id) ?? true) && t.lane_collision_policy === 'reject');
  }
  const out: string[] = [];
  const running = new Map<string, ScheduleTraceRecord[]>();
  for (const e of timeline(trace)) {
    if (!rejectOnly.get(e.record.lane_id)) continue;
    const now = running.get(e.record.lane_id) ?? [];
    if (!e.start) {
      running.set(e.record.lane_id, now.filter((r) => r !== e.record));
      continue;
    }
    const other = now.find((r) => r.actor_id !== e.record.actor_id);
    if (other) out.push(`${e.record.cap_id} (${e.record.actor_id}) started on reject lane ${e.record.lane_id} while ${other.cap_id} (${other.actor_id}) ran`);
    running.set(e.record.lane_id, [...now, e.record]);
  }
  return out;
}

/** Chain depth of every result: roots 0, a follow-up one more than the cap that spawned it. */
function depths(roots: readonly Cap[], results: readonly ExecutionResult[]): Map<string, number> {
  const depth = new Map(roots.map((c) => [c.cap_id, 0]));
  for (const r of results) for (const c of r.spawned_caps) depth.set(c.cap_id, (depth.get(r.receipt.cap_id) ?? 0) + 1);
  return depth;
}

/**
 * Every refused cap is triaged: its receipt is `rejected` / `reject` with a reason and not
 * accepted, and where the chain may go on it spawned its triage.reject follow-up.
 */
export function checkRefusalsTriaged(roots: readonly Cap[], results: readonly ExecutionResult[], trace: readonly ScheduleTraceRecord[], maxHops: number): string[] {
  const out: string[] = [];
  const refused = new Set(trace.filter((t) => t.decision === 'rejected').map((t) => t.cap_id));
  const depth = depths(roots, results);
  for (const r of results) {
    if (!refused.has(r.receipt.cap_id)) continue;
    const { receipt } = r;
    const cap = r.distributed.cap;
    if (receipt.outcome !== 'rejected' || receipt.continuation_mode !== 'reject' || receipt.payload.accepted !== false || !receipt.payload.reason) {
      out.push(`${cap.cap_id}: refused, but its receipt is ${receipt.outcome}/${receipt.continuation_mode}`);
    }
    const mayContinue = (depth.get(cap.cap_id) ?? 0) + 1 < maxHops;
    const triaged = r.spawned_caps.some((c) => c.intent === `${cap.intent}.triage.reject` && c.lane_hint === laneId('triage.reject', cap.executor_class));
    if (mayContinue && !triaged) out.push(`${cap.cap_id}: refused, but no triage.reject follow-up was spawned`);
  }
  return out;
}

/**
 * A cap that arrived later never starts before a cap waiting on the same lane, except as the
 * tables allow: graceful_yield over lower priority (`yielded-to`), assert_root over other actors
 * (`root-first`), override_all (`overrode`), and anything over a polite_avoid cap. So in
 * particular no waiting cap of higher priority is overtaken by one of lower priority, except by
 * assert_root, override_all, or because it politely avoids.
 */
export function checkNoUnjustifiedPassing(trace: readonly ScheduleTraceRecord[]): string[] {
  const out: string[] = [];
  const byLane = new Map<string, ScheduleTraceRecord[]>();
  for (const t of trace) if (t.started_seq !== null) byLane.set(t.lane_id, [...(byLane.get(t.lane_id) ?? []), t]);
  for (const lane of byLane.values()) {
    for (const x of lane) {
      for (const y of lane) {
        if (!(x.enqueued_seq < y.enqueued_seq && y.started_seq! < x.started_seq!)) continue;
        const justified =
          (x.coffee_lane_policy === 'polite_avoid' && y.coffee_lane_policy !== 'polite_avoid') ||
          y.decision === 'overrode' ||
          (y.decision === 'root-first' && y.actor_id !== x.actor_id) ||
          (y.decision === 'yielded-to' && y.priority > x.priority);
        if (!justified) out.push(`${y.cap_id} (${y.decision}, priority ${y.priority}) overtook ${x.cap_id} (priority ${x.priority}) on ${x.lane_id}`);
      }
    }
  }
  return out;
}

/**
 * When a cap starts, no other lane had a head of higher priority that its own lane would have
 * let start: only a global limit holds lanes back, and then the higher priority goes first.
 */
export function checkReadyPriority(trace: readonly ScheduleTraceRecord[]): string[] {
  const out: string[] = [];
  const ran = trace.filter((t) => t.started_seq !== null);
  for (const y of ran) {
    const s = y.started_seq!;
    const heads = new Map<string, ScheduleTraceRecord>();
    const running = new Map<string, number>();
    for (const x of ran) {
      if (x.lane_id === y.lane_id) continue;
      if (x.started_seq! < s && x.finished_seq > s) running.set(x.lane_id, (running.get(x.lane_id) ?? 0) + 1);
      // caps waiting at s keep their relative order, so the first of them to start was the head
      const head = heads.get(x.lane_id);
      if (x.enqueued_seq < s && x.started_seq! > s && (head === undefined || x.started_seq! < head.started_seq!)) heads.set(x.lane_id, x);
    }
    for (const [lane, x] of heads) {
      if ((running.get(lane) ?? 0) < x.burst_limit && x.priority > y.priority) {
        out.push(`${y.cap_id} (priority ${y.priority}) started while ${x.cap_id} (priority ${x.priority}) was ready on ${lane}`);
      }
    }
  }
  return out;
}

/** Causal ranks are unique and every child ranks above its parent. */
export function checkCausalRanks(results: readonly ExecutionResult[]): string[] {
  const out: string[] = [];
  const rank = new Map<string, number>();
  const used = new Set<number>();
  for (const r of results) {
    if (used.has(r.distributed.causal_rank)) out.push(`${r.receipt.cap_id}: rank ${r.distributed.causal_rank} not unique`);
    used.add(r.distributed.causal_rank);
    rank.set(r.receipt.cap_id, r.distributed.causal_rank);
  }
  for (const r of results) {
    const parent = r.distributed.cap.parent_id;
    const parentRank = parent === null ? undefined : rank.get(parent);
    if (parentRank !== undefined && r.distributed.causal_rank <= parentRank) out.push(`${r.receipt.cap_id}: rank ${r.distributed.causal_rank} not above its parent's ${parentRank}`);
  }
  return out;
}

/** Every invariant above, over one scenario run. */
export function checkScenario(run: ScenarioRun): string[] {
  const roots = run.scenario.arrivals.map((a) => a.cap);
  return [
    ...checkOneReceiptPerCap(roots, run.results),
    ...checkTraceMatchesReceipts(run.results, run.trace),
    ...checkBurstLimits(run.trace),
    ...(run.scenario.max_running === null ? [] : checkMaxRunning(run.trace, run.scenario.max_running)),
    ...checkRejectLanes(run.trace),
    ...checkRefusalsTriaged(roots, run.results, run.trace, run.scenario.max_hops),
    ...checkNoUnjustifiedPassing(run.trace),
    ...checkReadyPriority(run.trace),
    ...checkCausalRanks(run.results),
  ];
}
