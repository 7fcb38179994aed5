import fc from 'fast-check';
import { createMemoryBus } from '../memory/index.js';
import { EchoExecutor } from '../memory/executor.js';
import { LaneMux, type ScheduleTraceRecord } from '../mux/index.js';
import { makeCap, type Cap } from '../../src/records/cap.js';
import { isoTimestamp, manualClock, seededIds } from '../../src/clock.js';
import { deriveLanePolicy, laneId, type LanePolicyDerivation, type LaneShape } from '../../src/policy/lane.js';
import type { ExecutionResult } from '../../src/records/result.js';
import { laneShapeOverridesArb } from './arbitraries.js';
import { VirtualTimer } from './virtual-timer.js';

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
const SCENARIO_HINTS = [laneId('shared', 'default'), laneId('triage.reject', 'default'), laneId('shared.fork.alpha', 'default')];
const SCENARIO_LANES = [...SCENARIO_HINTS, ...SCENARIO_INTENTS.map((i) => laneId(i, 'default'))];
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
      lane_shapes: fc.dictionary(fc.constantFrom(...SCENARIO_LANES), laneShapeOverridesArb(), { maxKeys: 3 }),
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
