import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SCHEDULE_DECISIONS, type ScheduleTraceRecord } from '../adapters/mux/index.js';
import { laneIdFor, LanePolicySchema, deriveLanePolicy, type LanePolicy } from '../src/policy/lane.js';
import {
  capArb,
  checkBurstLimits,
  checkNoUnjustifiedPassing,
  checkReadyPriority,
  checkRejectLanes,
  checkScenario,
  laneIdArb,
  lanePolicyArb,
  runScenario,
  scenarioArb,
} from '../adapters/testing/index.js';

describe('lane mux properties over random scenarios (virtual time)', () => {
  // every cap one receipt and one trace line; burst limits; reject lanes; triage; passing; ready priority; ranks
  test.prop([scenarioArb()], { numRuns: 500 })('every invariant holds', async (scenario) => {
    expect(checkScenario(await runScenario(scenario))).toEqual([]);
  });

  test.prop([scenarioArb(), fc.array(lanePolicyArb(), { minLength: 1, maxLength: 5 })], { numRuns: 150 })(
    'every invariant holds when each cap brings its own arbitrary policy',
    async (scenario, policies) => {
      // mixed policies on one lane: the checks must hold for any derivation a user writes
      const derive = (cap: { cap_id: string }): LanePolicy => policies[[...cap.cap_id].reduce((h, ch) => h + ch.charCodeAt(0), 0) % policies.length]!;
      expect(checkScenario(await runScenario({ ...scenario, lane_shapes: {} }, { derive }))).toEqual([]);
    },
  );

  test.prop([scenarioArb()], { numRuns: 50 })('same scenario and seed give the same trace and receipts', async (scenario) => {
    const a = await runScenario(scenario);
    const b = await runScenario(scenario);
    expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
    expect(JSON.stringify(b.results.map((r) => r.receipt))).toBe(JSON.stringify(a.results.map((r) => r.receipt)));
  });

  it('the scenarios exercise every decision, lane sharing and the global limit', async () => {
    const seen = new Set<string>();
    let concurrentOnLane = false;
    let heldBack = false;
    for (const scenario of fc.sample(scenarioArb(), { numRuns: 400, seed: 7 })) {
      const { trace } = await runScenario(scenario);
      for (const t of trace) seen.add(t.decision);
      concurrentOnLane ||= trace.some((x) => trace.some((y) => x !== y && x.lane_id === y.lane_id && overlap(x, y)));
      heldBack ||= scenario.max_running !== null && trace.some((t) => t.decision === 'queued');
    }
    expect([...seen].sort()).toEqual([...SCHEDULE_DECISIONS].sort());
    expect([concurrentOnLane, heldBack]).toEqual([true, true]);
  });
});

const overlap = (x: ScheduleTraceRecord, y: ScheduleTraceRecord) =>
  x.started_seq !== null && y.started_seq !== null && x.started_seq < y.finished_seq && y.started_seq < x.finished_seq;

describe('lane policy derivation is total', () => {
  test.prop([capArb(), fc.option(laneIdArb(), { nil: undefined }), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })], { numRuns: 500 })(
    'any cap on any lane at any time yields a policy inside the contract',
    (cap, lane, nowMs) => {
      const policy = deriveLanePolicy(cap, lane ?? laneIdFor(cap), nowMs);
      expect(LanePolicySchema.safeParse(policy).error).toBeUndefined();
    },
  );

  test.prop([lanePolicyArb()])('lanePolicyArb stays inside the contract', (policy) => {
    expect(LanePolicySchema.safeParse(policy).error).toBeUndefined();
  });
});

describe('the checkers catch what they claim to', () => {
  const rec = (over: Partial<ScheduleTraceRecord>): ScheduleTraceRecord => ({
    cap_id: 'cap_x', actor_id: 'A', lane_id: 'lane:t', priority: 5, burst_limit: 1, lane_collision_policy: 'queue', coffee_lane_policy: 'sip_anyway',
    causal_rank: 1, enqueued_seq: 0, started_seq: 1, finished_seq: 9, decision: 'ran', outcome: 'executed', ...over,
  });

  it('two running past burst_limit', () => {
    expect(checkBurstLimits([rec({}), rec({ cap_id: 'cap_y', enqueued_seq: 2, started_seq: 3, finished_seq: 4 })])).toHaveLength(1);
  });

  it('two actors at once on a reject lane', () => {
    const t = [rec({ lane_collision_policy: 'reject', burst_limit: 2 }), rec({ cap_id: 'cap_y', actor_id: 'B', lane_collision_policy: 'reject', burst_limit: 2, enqueued_seq: 2, started_seq: 3, finished_seq: 4 })];
    expect(checkRejectLanes(t)).toHaveLength(1);
  });

  it('a later cap overtaking without a policy that allows it', () => {
    const x = rec({ enqueued_seq: 0, started_seq: 5, finished_seq: 6, decision: 'queued' });
    const y = rec({ cap_id: 'cap_y', actor_id: 'B', enqueued_seq: 1, started_seq: 3, finished_seq: 4, decision: 'queued' });
    expect(checkNoUnjustifiedPassing([x, y])).toHaveLength(1);
    expect(checkNoUnjustifiedPassing([x, { ...y, decision: 'yielded-to', priority: 4 }])).toHaveLength(1);
    expect(checkNoUnjustifiedPassing([x, { ...y, decision: 'yielded-to', priority: 6 }])).toEqual([]);
    expect(checkNoUnjustifiedPassing([x, { ...y, decision: 'overrode' }])).toEqual([]);
  });

  it('a lower priority starting while a higher one is ready on another lane', () => {
    const low = rec({ lane_id: 'lane:low', priority: 1, enqueued_seq: 1, started_seq: 3, finished_seq: 4, decision: 'queued' });
    const high = rec({ cap_id: 'cap_h', lane_id: 'lane:high', priority: 9, enqueued_seq: 2, started_seq: 5, finished_seq: 6, decision: 'queued' });
    expect(checkReadyPriority([low, high])).toHaveLength(1);
  });
});
