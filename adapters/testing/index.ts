/**
 * `tibet-cap-bus/testing`: property-test helpers for lane policies and schedulers.
 * Arbitraries (fast-check) for caps, lane policies and whole scenarios; a virtual timer so
 * simulated work costs no real time; a scenario runner on the in-memory bus with the lane mux;
 * and invariant checkers that return violations (an empty list means the run was sound).
 *
 * Like the CLI, this is a composition module: it wires core to the in-memory adapters.
 */
import fc from 'fast-check';
import { createMemoryBus } from '../memory/index.js';
import { EchoExecutor, type Timer } from '../memory/executor.js';
import { LaneMux, ScheduleTraceRecordSchema, type ScheduleTraceRecord } from '../mux/index.js';
import { ROUTE_CLASSES, makeCap, type Cap } from '../../src/records/cap.js';
import { isoTimestamp, manualClock, seededIds } from '../../src/clock.js';
import { COFFEE_POLICIES } from '../../src/policy/coffee.js';
import { CONTINUATION_MODES } from '../../src/policy/continuation.js';
import { COLLISION_POLICIES, deriveLanePolicy, type LanePolicy, type LanePolicyDerivation } from '../../src/policy/lane.js';
import type { ExecutionResult } from '../../src/records/result.js';

// ---------------------------------------------------------------------------------------------
// Virtual time

interface Sleeper {
  at: number;
  order: number;
  wake: () => void;
}

/** Lets every pending promise reaction run: nothing here waits on real I/O or real timers. */
const quiesce = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A timer whose sleeps end only when `run` advances virtual time to them, earliest first
 * (ties in the order they were asked for), so a scenario replays identically and instantly.
 * Given the bus's manual clock, it moves that clock along, so measured latencies are the
 * virtual durations.
 */
export class VirtualTimer implements Timer {
  private nowMs = 0;
  private order = 0;
  private readonly sleepers: Sleeper[] = [];

  constructor(private readonly clock?: { advance(ms: number): void }) {}

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ at: this.nowMs + Math.max(0, ms), order: this.order++, wake });
    });
  }

  /** Drives virtual time until `work` settles; throws if it can never settle (something was lost). */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const mark = () => {
      settled = true;
    };
    work.then(mark, mark);
    for (;;) {
      await quiesce();
      if (settled) return work;
      const next = this.takeEarliest();
      if (next === undefined) throw new Error('virtual time stalled: work is still pending but nothing is asleep (a cap never settled)');
      this.clock?.advance(next.at - this.nowMs);
      this.nowMs = next.at;
      next.wake();
    }
  }

  private takeEarliest(): Sleeper | undefined {
    let best = -1;
    this.sleepers.forEach((s, i) => {
      const b = this.sleepers[best];
      if (b === undefined || s.at < b.at || (s.at === b.at && s.order < b.order)) best = i;
    });
    return best < 0 ? undefined : this.sleepers.splice(best, 1)[0];
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const hex16 = fc.stringMatching(/^[0-9a-f]{16}$/);
/** intent and lane tokens, biased toward the words the policy tables look for */
const word = fc.oneof(
  fc.constantFrom('factory', 'agent', 'tool', 'high', 'service', 'rpc', 'triage', 'reject', 'resync', 'fork', 'alpha', 'beta', 'resume'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/),
);
const dotted = (max: number) => fc.array(word, { minLength: 1, maxLength: max }).map((w) => w.join('.'));

/** Any lane id: the derived form, the triage lanes, or free text carrying the table's markers. */
export function laneIdArb(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(dotted(5), fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/)).map(([intent, exec]) => `lane:${intent}:${exec}`),
    fc.constantFrom('lane:triage.reject:default', 'lane:triage.resync:default', 'x.fork.alpha', 'x.fork.beta', 'x.triage.reject.fork.beta'),
    fc.string(),
  );
}

/** A payload value of any JSON-ish type, to probe fields the coffee table reads. */
const anyValue = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null));

/**
 * Any valid cap, with payloads that probe every row of the coffee table: sealed_at near and far
 * from `nowMs` (and unparsable), thresholds, trust scores, failure counts, endpoint signals,
 * continuation requests and simulated durations, each present or not, well-typed or not.
 */
export function capArb(options: { nowMs?: number } = {}): fc.Arbitrary<Cap> {
  const nowMs = options.nowMs ?? Date.UTC(2026, 0, 1);
  const sealedAt = fc.oneof(
    fc.integer({ min: -200_000, max: 200_000 }).map((s) => isoTimestamp(nowMs - s * 1000)),
    fc.integer({ min: 0, max: 100_000 }).map((s) => isoTimestamp(nowMs - s * 1000).replace('Z', '')),
    anyValue,
  );
  const payload = fc.record(
    {
      sealed_at: sealedAt,
      diff_threshold_seconds: fc.oneof(fc.integer({ min: -10, max: 200_000 }), fc.stringMatching(/^ ?[+-]?\d{1,6} ?$/), anyValue),
      trust_score: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), anyValue),
      recent_failures: fc.oneof(fc.integer({ min: 0, max: 10 }), anyValue),
      endpoint_status: fc.oneof(fc.constantFrom('offline', 'DOWN', 'up'), anyValue),
      http_status: fc.oneof(fc.integer({ min: 100, max: 599 }), anyValue),
      consecutive_errors: fc.oneof(fc.integer({ min: 0, max: 6 }), anyValue),
      continuation_mode: fc.oneof(fc.constantFrom(...CONTINUATION_MODES, ' Fork ', 'bogus'), anyValue),
      duration_ms: fc.oneof(fc.integer({ min: 0, max: 50 }), anyValue),
    },
    { requiredKeys: [] },
  );
  return fc
    .record({
      id: hex16,
      actor_id: fc.oneof(fc.constantFrom('codex.aint', 'api-gateway', 'plant.controller', 'stray-bot'), fc.string({ minLength: 1 })),
      actor_aint: fc.option(fc.string(), { nil: null }),
      intent: dotted(6),
      route_class: fc.constantFrom(...ROUTE_CLASSES),
      executor_class: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
      lane_hint: fc.option(laneIdArb(), { nil: null }),
      payload,
    })
    .map(({ id, ...fields }) =>
      makeCap({ ...fields, cap_id: `cap_${id}`, authority_ref: 'sam:test', created_at: isoTimestamp(nowMs) }, { clock: manualClock(nowMs), ids: seededIds(0) }),
    );
}

/** The scheduling part of a lane policy (what a lane does, not why it avoids). */
export type LaneShape = Pick<LanePolicy, 'lane_class' | 'priority' | 'burst_limit' | 'preemptible' | 'executor_pool' | 'lane_collision_policy'>;

const laneShapeFields = {
  lane_class: fc.constant('custom'),
  priority: fc.integer({ min: 0, max: 10 }),
  burst_limit: fc.integer({ min: 1, max: 4 }),
  preemptible: fc.boolean(),
  executor_pool: fc.constant('custom'),
  lane_collision_policy: fc.constantFrom(...COLLISION_POLICIES),
};

export function laneShapeArb(): fc.Arbitrary<LaneShape> {
  return fc.record(laneShapeFields);
}

/** Any lane policy inside the contract's enums and ranges. */
export function lanePolicyArb(): fc.Arbitrary<LanePolicy> {
  return fc
    .record({
      shape: laneShapeArb(),
      coffee_lane_policy: fc.constantFrom(...COFFEE_POLICIES),
      coffee_reason: fc.string(),
      time_diff_seconds: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: null }),
      diff_threshold_seconds: fc.integer({ min: 0, max: 200_000 }),
    })
    .map(({ shape, ...coffee }) => ({ ...shape, ...coffee }));
}

/** Caps arriving at a bus over virtual time: the input of `runScenario`. Plain data, so fast-check can print and shrink it. */
export interface Scenario {
  /** seeds the bus's ids, so follow-up and receipt ids replay */
  seed: number;
  start_ms: number;
  /** chain depth bound per root (behaviour.md §7) */
  max_hops: number;
  /** the mux's global limit; null = unlimited */
  max_running: number | null;
  arrivals: { at_ms: number; cap: Cap }[];
  /**
   * lane id → fields replacing the derived ones for every cap on that lane (coffee stays
   * derived); fields left out keep their per-cap values, so priorities can still differ
   */
  lane_shapes: Record<string, Partial<LaneShape>>;
}

const SCENARIO_START = Date.UTC(2026, 4, 15, 16, 0, 0);
/** stray-bot has no aint and no known marker, so the coffee table makes it polite_avoid */
const SCENARIO_ACTORS = ['plant.controller', 'ops.gateway', 'codex.aint', 'stray-bot'];
const SCENARIO_INTENTS = ['factory.motion.control', 'agent.tool.high', 'service.rpc.standard', 'batch.job'];
/** shared hinted lanes, so caps of different intents (and priorities) meet on one lane */
const SCENARIO_HINTS = ['lane:shared:default', 'lane:triage.reject:default', 'lane:shared.fork.alpha:default'];
const SCENARIO_LANES = [...SCENARIO_HINTS, ...SCENARIO_INTENTS.map((i) => `lane:${i}:default`)];
const SCENARIO_MODES = ['receipt', 'receipt', 'continue', 'fork', 'resume', 'reject', 'resync-needed', 'rebuild', 'offline_fallback'];
/** payload fields that steer the coffee table: healthy (mostly), each sealed_at band, low trust, offline */
const COFFEE_STEERS: readonly Record<string, unknown>[] = [
  {},
  {},
  {},
  {},
  {},
  { sealed_at: isoTimestamp(SCENARIO_START - 10_000) },
  { sealed_at: isoTimestamp(SCENARIO_START - 600_000) },
  { sealed_at: isoTimestamp(SCENARIO_START - 7_200_000) },
  { sealed_at: isoTimestamp(SCENARIO_START - 100_000_000) },
  { trust_score: 0.1 },
  { endpoint_status: 'down' },
];

/** Random scenarios over a small world of actors, intents and lanes, so actors meet often. */
export function scenarioArb(options: { maxRoots?: number } = {}): fc.Arbitrary<Scenario> {
  const root = fc.record({
    at_ms: fc.integer({ min: 0, max: 30 }),
    actor_id: fc.constantFrom(...SCENARIO_ACTORS),
    intent: fc.constantFrom(...SCENARIO_INTENTS),
    // the shared lane often, so caps of different intents and priorities contend on it
    lane_hint: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.constant(SCENARIO_HINTS[0]!), weight: 3 }, fc.constantFrom(...SCENARIO_HINTS.slice(1))),
    duration_ms: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined, freq: 4 }),
    continuation_mode: fc.constantFrom(...SCENARIO_MODES),
    steer: fc.constantFrom(...COFFEE_STEERS),
  });
  return fc
    .record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      max_hops: fc.integer({ min: 1, max: 3 }),
      max_running: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
      roots: fc.array(root, { minLength: 1, maxLength: options.maxRoots ?? 12 }),
      lane_shapes: fc.dictionary(fc.constantFrom(...SCENARIO_LANES), fc.record(laneShapeFields, { requiredKeys: [] }), { maxKeys: 3 }),
    })
    .map(({ seed, max_hops, max_running, roots, lane_shapes }) => {
      const ctx = { clock: manualClock(SCENARIO_START), ids: seededIds(0) };
      const arrivals = roots.map((r, i) => ({
        at_ms: r.at_ms,
        cap: makeCap(
          {
            cap_id: `cap_${i.toString(16).padStart(16, '0')}`,
            actor_id: r.actor_id,
            intent: r.intent,
            authority_ref: 'sam:scenario',
            lane_hint: r.lane_hint,
            created_at: isoTimestamp(SCENARIO_START),
            payload: { continuation_mode: r.continuation_mode, ...r.steer, ...(r.duration_ms === undefined ? {} : { duration_ms: r.duration_ms }) },
          },
          ctx,
        ),
      }));
      return { seed, start_ms: SCENARIO_START, max_hops, max_running, arrivals, lane_shapes };
    });
}

// ---------------------------------------------------------------------------------------------
// Running a scenario

export interface ScenarioRun {
  scenario: Scenario;
  /** chain by chain in arrival order, each breadth-first */
  results: ExecutionResult[];
  /** in the order caps settled */
  trace: ScheduleTraceRecord[];
}

/**
 * Runs a scenario on the in-memory bus with a LaneMux, echo executor and virtual time.
 * `derive` replaces the default lane-policy derivation (the scenario's lane_shapes still apply on top).
 */
export async function runScenario(scenario: Scenario, options: { derive?: LanePolicyDerivation } = {}): Promise<ScenarioRun> {
  const clock = manualClock(scenario.start_ms);
  const timer = new VirtualTimer(clock);
  const trace: ScheduleTraceRecord[] = [];
  const base = options.derive ?? deriveLanePolicy;
  const shapes = new Map(Object.entries(scenario.lane_shapes));
  const derive: LanePolicyDerivation = (cap, laneId, nowMs) => ({ ...base(cap, laneId, nowMs), ...shapes.get(laneId) });
  const mux = new LaneMux({ ...(scenario.max_running === null ? {} : { maxRunning: scenario.max_running }), onTrace: (r) => trace.push(r) });
  const bus = createMemoryBus({ clock, ids: seededIds(scenario.seed), derive, phases: { schedule: mux, execute: new EchoExecutor(timer) } });
  const chains = scenario.arrivals.map((a) => timer.sleep(a.at_ms).then(() => bus.runChain(a.cap, scenario.max_hops)));
  const results = (await timer.run(Promise.all(chains))).flat();
  return { scenario, results, trace };
}

// ---------------------------------------------------------------------------------------------
// Invariant checkers: each returns the violations it found, as sentences.

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
    const triaged = r.spawned_caps.some((c) => c.intent === `${cap.intent}.triage.reject` && c.lane_hint === `lane:triage.reject:${cap.executor_class}`);
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
    ...checkRejectLanes(run.trace),
    ...checkRefusalsTriaged(roots, run.results, run.trace, run.scenario.max_hops),
    ...checkNoUnjustifiedPassing(run.trace),
    ...checkReadyPriority(run.trace),
    ...checkCausalRanks(run.results),
  ];
}
