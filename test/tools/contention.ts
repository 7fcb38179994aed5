import { makeCap, type Cap } from '../../src/records/cap.js';
import type { CapReceipt } from '../../src/records/receipt.js';
import type { IdSource, Clock } from '../../src/clock.js';
import type { ScheduleTraceRecord } from '../../adapters/mux/index.js';
import { sleep } from './nats-server.js';

/**
 * A contention scenario whose arrival order is set by the clock, not by the transport, so one
 * process and a partitioned deployment see the caps of each lane in the same order: caps go one
 * per lane per step, steps GAP_MS apart (far above NATS jitter on one host), and the caps that
 * hold a lane run HOLD_MS, so every lane is still busy when its last contender arrives.
 */

export const GAP_MS = 200;
const HOLD_MS = 1_600;
const SHORT_MS = 100;

interface Sent {
  name: string;
  actor_id: string;
  intent: string;
  lane_hint?: string;
  ms: number;
  /** more payload (a trust score for hard_avoid) */
  extra?: Record<string, unknown>;
}

const at = (name: string, actor_id: string, intent: string, ms: number, more: Partial<Sent> = {}): Sent => ({ name, actor_id, intent, ms, ...more });
const AGENTS = { lane_hint: 'lane:agents' };

/**
 * Step by step, one cap per lane (the comment after each says what its lane decides, in one process):
 * - R `lane:ops.triage.reject:default` (reject, burst 1); H on it is hard_avoid (trust 0.1)
 * - A `lane:factory.motion.control:default` (assert_root, burst 2, root line-a)
 * - O `lane:plan.fork.alpha:default` (override_all, burst 4)
 * - P `lane:factory.press.cycle:default` (burst 2; `stranger`, an unknown actor, is polite_avoid)
 * - G `lane:agents` (shared: a factory cap (burst 2, not preemptible) blocks the head, a service
 *   cap (priority 6, preemptible) waits behind it, an agent cap (priority 7, graceful_yield) arrives)
 */
export const CONTENTION_STEPS: readonly (readonly Sent[])[] = [
  [
    at('R1', 'ops-a.aint', 'ops.triage.reject', HOLD_MS), // ran, holds
    at('A1', 'line-a-controller', 'factory.motion.control', HOLD_MS), // ran, line-a is the root
    at('O1', 'planner-a.aint', 'plan.fork.alpha', HOLD_MS), // ran
    at('P1', 'press-controller', 'factory.press.cycle', HOLD_MS), // ran
    at('G1', 'line-c-controller', 'factory.arm.move', HOLD_MS, AGENTS), // ran
  ],
  [
    at('R2', 'ops-b.aint', 'ops.triage.reject', SHORT_MS), // rejected: ops-a holds the lane
    at('A2', 'line-a-controller', 'factory.motion.control', HOLD_MS), // ran (burst 2)
    at('O2', 'planner-a.aint', 'plan.fork.alpha', HOLD_MS), // ran
    at('P2', 'press-controller', 'factory.press.cycle', HOLD_MS), // ran (burst 2)
    at('G2', 'line-c-controller', 'factory.arm.move', HOLD_MS, AGENTS), // ran (burst 2)
  ],
  [
    at('H', 'shady.aint', 'ops.triage.reject', SHORT_MS, { extra: { trust_score: 0.1 } }), // avoided before the lane
    at('A3', 'line-b-controller', 'factory.motion.control', SHORT_MS), // queued
    at('O3', 'planner-a.aint', 'plan.fork.alpha', HOLD_MS), // ran
    at('P3', 'stranger', 'factory.press.cycle', SHORT_MS), // queued, polite: behind all that comes later
    at('G3', 'line-c-controller', 'factory.arm.move', SHORT_MS, AGENTS), // queued: the head, blocked by burst 2
  ],
  [
    at('R3', 'ops-a.aint', 'ops.triage.reject', SHORT_MS), // queued: its own actor holds the lane
    at('A4', 'line-a-controller', 'factory.motion.control', SHORT_MS), // root-first: ahead of A3
    at('O4', 'planner-a.aint', 'plan.fork.alpha', HOLD_MS), // ran (burst 4)
    at('P4', 'press-controller', 'factory.press.cycle', SHORT_MS), // queued, starts before P3
    at('G4', 'billing-service', 'service.rpc.charge', SHORT_MS, AGENTS), // queued behind G3
  ],
  [
    at('O5', 'planner-a.aint', 'plan.fork.alpha', SHORT_MS), // queued
    at('G5', 'agent-c.aint', 'agent.tool.high', SHORT_MS, AGENTS), // yielded-to: ahead of G4, not of G3
  ],
  [
    at('O6', 'planner-b.aint', 'plan.fork.alpha', SHORT_MS), // overrode: ahead of O5
  ],
];

export interface NamedCap {
  name: string;
  cap: Cap;
}

/** The scenario's caps, built once: both runs send the very same caps (same cap_ids; each bus is its own). */
export function contentionCaps(ctx: { clock: Clock; ids: IdSource }, steps = CONTENTION_STEPS): NamedCap[][] {
  return steps.map((step) =>
    step.map((s) => ({
      name: s.name,
      cap: makeCap({ actor_id: s.actor_id, intent: s.intent, authority_ref: 'sam:contention', payload: { duration_ms: s.ms, ...s.extra }, ...(s.lane_hint ? { lane_hint: s.lane_hint } : {}) }, ctx),
    })),
  );
}

/** The same caps with two swapped between their steps (a run whose arrival order differs). */
export function swapped(steps: readonly NamedCap[][], a: string, b: string): NamedCap[][] {
  const byName = new Map(steps.flat().map((c) => [c.name, c]));
  return steps.map((step) => step.map((c) => (c.name === a ? byName.get(b)! : c.name === b ? byName.get(a)! : c)));
}

/**
 * Sends each step GAP_MS after the one before (measured from the start, so delays do not add up)
 * without waiting for receipts; resolves with every receipt by name, and how late the latest
 * step was sent.
 */
export async function play(steps: readonly NamedCap[][], send: (cap: Cap) => Promise<CapReceipt>): Promise<{ receipts: Map<string, CapReceipt>; lateMs: number }> {
  const start = performance.now();
  const pending: Promise<[string, CapReceipt]>[] = [];
  let lateMs = 0;
  for (const [k, step] of steps.entries()) {
    await sleep(start + k * GAP_MS - performance.now());
    lateMs = Math.max(lateMs, performance.now() - start - k * GAP_MS);
    for (const { name, cap } of step) pending.push(send(cap).then((receipt) => [name, receipt]));
  }
  return { receipts: new Map(await Promise.all(pending)), lateMs };
}

/** What the lane mux decided for one cap, and what its receipt says; no timing, no ids. */
export interface Decision {
  name: string;
  lane_id: string;
  lane_collision_policy: string;
  coffee_lane_policy: string;
  priority: number;
  burst_limit: number;
  decision: string;
  outcome: string;
  /** its place in its lane's arrival order (0 first) */
  arrived: number;
  /** its place in its lane's start order; null when it never started */
  started: number | null;
  receipt: { outcome: string; continuation_mode: string; accepted: boolean; reason: string | null };
}

/**
 * The decisions of a run, by cap name. Places in a lane's order come from the `_seq` fields,
 * which count one mux's events; a lane lives in one mux (one process, or its partition's owner),
 * so they order the caps of a lane even when the trace joins several workers' files.
 */
export function decisionsOf(steps: readonly NamedCap[][], trace: readonly ScheduleTraceRecord[], receipts: ReadonlyMap<string, CapReceipt>): Decision[] {
  const names = new Map(steps.flat().map(({ name, cap }) => [cap.cap_id, name]));
  const place = (t: ScheduleTraceRecord, key: 'enqueued_seq' | 'started_seq') =>
    trace
      .filter((o) => o.lane_id === t.lane_id && o[key] !== null)
      .sort((x, y) => x[key]! - y[key]!)
      .indexOf(t);
  return trace
    .map((t) => {
      const name = names.get(t.cap_id) ?? `unknown ${t.cap_id}`;
      const r = receipts.get(name);
      return {
        name,
        lane_id: t.lane_id,
        lane_collision_policy: t.lane_collision_policy,
        coffee_lane_policy: t.coffee_lane_policy,
        priority: t.priority,
        burst_limit: t.burst_limit,
        decision: t.decision,
        outcome: t.outcome,
        arrived: place(t, 'enqueued_seq'),
        started: t.started_seq === null ? null : place(t, 'started_seq'),
        receipt: { outcome: r?.outcome ?? 'none', continuation_mode: r?.continuation_mode ?? 'none', accepted: r?.payload.accepted ?? false, reason: r?.payload.reason ?? null },
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
