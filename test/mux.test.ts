import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../adapters/memory/index.js';
import { EchoExecutor } from '../adapters/memory/executor.js';
import { LaneMux, ScheduleTraceRecordSchema, type LaneMuxOptions, type ScheduleTraceRecord } from '../adapters/mux/index.js';
import { makeCap } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import type { LanePolicy } from '../src/policy/lane.js';
import type { ExecutorVerdict } from '../src/pipeline/phases.js';
import type { DistributedCap } from '../src/records/result.js';
import { VirtualTimer } from '../adapters/testing/index.js';
import { ago, T0, testContext } from './helpers.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

const policy = (over: Partial<LanePolicy>): LanePolicy => ({
  lane_class: 'standard',
  priority: 5,
  burst_limit: 1,
  preemptible: false,
  executor_pool: 'default',
  lane_collision_policy: 'queue',
  coffee_lane_policy: 'sip_anyway',
  coffee_reason: 'healthy_lane',
  time_diff_seconds: null,
  diff_threshold_seconds: 3600,
  ...over,
});

/** A mux whose caps run until the test finishes them by name. */
function harness(options: LaneMuxOptions = {}) {
  const trace: ScheduleTraceRecord[] = [];
  const mux = new LaneMux({ ...options, onTrace: (r) => trace.push(r) });
  const started: string[] = [];
  const gates = new Map<string, (v: ExecutorVerdict | Error) => void>();
  let rank = 0;
  const submit = (name: string, actor: string, over: Partial<LanePolicy> = {}, lane = 'lane:t') => {
    const d: DistributedCap = {
      cap: makeCap({ cap_id: `cap_${name}`, actor_id: actor, intent: 'misc.op', authority_ref: 'sam:test', payload: {} }, testContext()),
      causal_rank: ++rank,
      lane_id: lane,
      lane_policy: policy(over),
      memory_slot: 'slot',
      alignment_group: 'align',
      evidence: [],
    };
    return mux.admit(d, () => {
      started.push(name);
      return new Promise((resolve, reject) => gates.set(name, (v) => (v instanceof Error ? reject(v) : resolve(v))));
    });
  };
  const finish = async (name: string, verdict: ExecutorVerdict | Error = {}) => {
    gates.get(name)!(verdict);
    await flush();
  };
  const decision = (name: string) => trace.find((r) => r.cap_id === `cap_${name}`)?.decision;
  return { mux, trace, started, submit, finish, decision };
}

/** Finishes whatever runs until nothing is left, returning the start order. */
async function drain(h: ReturnType<typeof harness>): Promise<string[]> {
  for (let i = 0; i < h.started.length; i++) await h.finish(h.started[i]!);
  return h.started;
}

describe('lane mux: burst limit', () => {
  it('runs at most burst_limit caps per lane, starting the next as one finishes', async () => {
    const h = harness();
    for (const n of ['a', 'b', 'c']) void h.submit(n, 'A', { burst_limit: 2 });
    expect(h.started).toEqual(['a', 'b']);
    await h.finish('a');
    expect(h.started).toEqual(['a', 'b', 'c']);
    expect([h.decision('a'), h.mux.runningCaps]).toEqual(['ran', 2]);
  });

  it('lanes are independent without a global limit', () => {
    const h = harness();
    void h.submit('a', 'A', {}, 'lane:1');
    void h.submit('b', 'A', {}, 'lane:2');
    expect(h.started).toEqual(['a', 'b']);
  });
});

describe('lane mux: collision table (product.md §5)', () => {
  it('queue: the newcomer waits, first come first served, whatever its priority', async () => {
    const h = harness();
    void h.submit('a', 'A');
    void h.submit('b', 'B', { priority: 1 });
    void h.submit('c', 'C', { priority: 9 });
    expect(await drain(h)).toEqual(['a', 'b', 'c']);
    expect(h.decision('c')).toBe('queued');
  });

  it('graceful_yield: goes ahead of waiting preemptible caps of lower priority, not past one that holds its place', async () => {
    const h = harness();
    void h.submit('a', 'A');
    void h.submit('w1', 'B', { priority: 3, preemptible: true });
    void h.submit('w2', 'B', { priority: 3, preemptible: false });
    void h.submit('w3', 'B', { priority: 3, preemptible: true });
    void h.submit('n', 'C', { priority: 7, lane_collision_policy: 'graceful_yield' });
    void h.submit('low', 'C', { priority: 1, lane_collision_policy: 'graceful_yield' });
    expect(await drain(h)).toEqual(['a', 'w1', 'w2', 'n', 'w3', 'low']);
    expect([h.decision('n'), h.decision('low')]).toEqual(['yielded-to', 'queued']);
  });

  it('graceful_yield: equal priority does not yield', async () => {
    const h = harness();
    void h.submit('a', 'A');
    void h.submit('w', 'B', { priority: 7, preemptible: true });
    void h.submit('n', 'C', { priority: 7, lane_collision_policy: 'graceful_yield' });
    expect(await drain(h)).toEqual(['a', 'w', 'n']);
  });

  it("assert_root: the lane's root actor goes ahead of other actors' waiting caps, behind its own", async () => {
    const h = harness();
    void h.submit('a1', 'A');
    void h.submit('b1', 'B');
    void h.submit('b2', 'B');
    void h.submit('a2', 'A', { lane_collision_policy: 'assert_root' });
    void h.submit('a3', 'A', { lane_collision_policy: 'assert_root' });
    void h.submit('c1', 'C', { lane_collision_policy: 'assert_root' });
    expect(await drain(h)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'c1']);
    expect([h.decision('a2'), h.decision('a3'), h.decision('c1')]).toEqual(['root-first', 'root-first', 'queued']);
  });

  it('override_all: the newcomer goes to the head, ahead of everything waiting (latest first)', async () => {
    const h = harness();
    void h.submit('a', 'A');
    void h.submit('b1', 'B');
    void h.submit('b2', 'B', { coffee_lane_policy: 'polite_avoid' });
    void h.submit('c', 'C', { lane_collision_policy: 'override_all' });
    void h.submit('d', 'D', { lane_collision_policy: 'override_all' });
    expect(await drain(h)).toEqual(['a', 'd', 'c', 'b1', 'b2']);
    expect(h.decision('d')).toBe('overrode');
  });

  it('reject: the newcomer is refused with the reason and never run; the lane is unaffected', async () => {
    const h = harness();
    void h.submit('a', 'A', { burst_limit: 4 });
    const verdict = await h.submit('b', 'B', { burst_limit: 4, lane_collision_policy: 'reject' });
    expect(verdict).toEqual({ accepted: false, continuation_mode: 'reject', reason: 'lane_collision_policy=reject: lane lane:t is held by actor A' });
    void h.submit('a2', 'A', { burst_limit: 4, lane_collision_policy: 'reject' });
    expect(h.started).toEqual(['a', 'a2']);
    expect(h.trace.find((r) => r.cap_id === 'cap_b')).toMatchObject({ decision: 'rejected', outcome: 'rejected', started_seq: null });
  });

  it('policies act only when actors meet: an actor never overtakes its own caps', async () => {
    const h = harness();
    void h.submit('a1', 'A');
    void h.submit('a2', 'A');
    void h.submit('a3', 'A', { lane_collision_policy: 'override_all' });
    void h.submit('a4', 'A', { lane_collision_policy: 'reject' });
    expect(await drain(h)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(h.trace.map((r) => r.decision)).toEqual(['ran', 'queued', 'queued', 'queued']);
  });
});

describe('lane mux: coffee-lane policies act before the lane', () => {
  it('hard_avoid: not executed, the verdict says why, no lane is opened', async () => {
    const h = harness();
    const verdict = await h.submit('x', 'A', { coffee_lane_policy: 'hard_avoid', coffee_reason: 'actor_trust_score=0.10' });
    expect(verdict).toEqual({ accepted: false, continuation_mode: 'hard_avoid', reason: 'coffee_lane_policy=hard_avoid (actor_trust_score=0.10): not executed' });
    expect([h.started, h.mux.busyLanes]).toEqual([[], 0]);
    expect(h.trace[0]).toMatchObject({ decision: 'avoided', outcome: 'avoided', started_seq: null });
  });

  it('polite_avoid: runs after everything else ready on the lane, even caps that came later', async () => {
    const h = harness();
    void h.submit('a', 'A');
    void h.submit('p1', 'B', { coffee_lane_policy: 'polite_avoid' });
    void h.submit('p2', 'A', { coffee_lane_policy: 'polite_avoid' });
    void h.submit('c', 'C');
    expect(await drain(h)).toEqual(['a', 'c', 'p1', 'p2']);
  });

  it('polite_avoid on an idle lane runs at once; the resume policies run normally', async () => {
    const h = harness();
    void h.submit('p', 'A', { coffee_lane_policy: 'polite_avoid' }, 'lane:1');
    for (const coffee of ['offline_fallback', 'rebuild', 'freeze_resume', 'fork_on_hop_off'] as const) void h.submit(coffee, 'A', { coffee_lane_policy: coffee }, `lane:${coffee}`);
    expect(h.started).toEqual(['p', 'offline_fallback', 'rebuild', 'freeze_resume', 'fork_on_hop_off']);
    await h.finish('p');
    expect(h.decision('p')).toBe('ran');
  });
});

describe('lane mux: global limit', () => {
  it('a freed slot goes to the ready lane whose head has the highest priority; ties go to the earlier arrival', async () => {
    const h = harness({ maxRunning: 1 });
    void h.submit('x', 'A', { priority: 5 }, 'lane:x');
    void h.submit('low', 'A', { priority: 3 }, 'lane:low');
    void h.submit('hi1', 'A', { priority: 9 }, 'lane:hi1');
    void h.submit('hi2', 'B', { priority: 9 }, 'lane:hi2');
    expect(h.started).toEqual(['x']);
    expect(await drain(h)).toEqual(['x', 'hi1', 'hi2', 'low']);
  });

  it('re-keys a waiting lane when its head changes', async () => {
    const h = harness({ maxRunning: 1 });
    void h.submit('x', 'A', { priority: 5 }, 'lane:x');
    void h.submit('m', 'A', { priority: 4 }, 'lane:m');
    void h.submit('n', 'B', { priority: 6 }, 'lane:n');
    // lane m's head becomes a priority-8 cap that overrides, so lane m now outranks lane n
    void h.submit('o', 'C', { priority: 8, lane_collision_policy: 'override_all' }, 'lane:m');
    expect(await drain(h)).toEqual(['x', 'o', 'n', 'm']);
  });

  it('refuses a limit below 1', () => {
    expect(() => new LaneMux({ maxRunning: 0 })).toThrow(/maxRunning/);
  });
});

describe('lane mux: bookkeeping', () => {
  it('forgets idle lanes, so the next cap to arrive opens the lane as its root', async () => {
    const h = harness();
    void h.submit('a', 'A');
    await h.finish('a');
    expect(h.mux.busyLanes).toBe(0);
    void h.submit('b1', 'B');
    void h.submit('c', 'C');
    void h.submit('a2', 'A', { lane_collision_policy: 'assert_root' });
    expect(await drain(h)).toEqual(['a', 'b1', 'c', 'a2']);
  });

  it('an executor that throws (or rejects) settles as resync-needed and frees its slot', async () => {
    const h = harness();
    const first = h.submit('a', 'A');
    void h.submit('b', 'A');
    await h.finish('a', new Error('disk gone'));
    expect(await first).toEqual({ continuation_mode: 'resync-needed', reason: 'executor-error: disk gone' });
    expect(h.started).toEqual(['a', 'b']);
    const mux = new LaneMux();
    const d = { ...(await captured()), lane_policy: policy({}) };
    expect(await mux.admit(d, () => { throw new Error('sync'); })).toMatchObject({ continuation_mode: 'resync-needed' });
  });

  it('refuses, with the reason, a policy a derivation got wrong (it could never start)', async () => {
    const h = harness();
    expect(await h.submit('z', 'A', { burst_limit: 0 })).toEqual({ accepted: false, continuation_mode: 'reject', reason: 'burst_limit must be an integer >= 1, got 0' });
    expect(h.mux.busyLanes).toBe(0);
  });

  it('trace: one record per cap, valid, event numbers from one counter', async () => {
    const h = harness();
    void h.submit('a', 'A', { burst_limit: 2 });
    void h.submit('b', 'A', { burst_limit: 2 });
    void h.submit('c', 'B', { lane_collision_policy: 'reject' });
    void h.submit('d', 'B', { coffee_lane_policy: 'hard_avoid' });
    await drain(h);
    for (const r of h.trace) expect(ScheduleTraceRecordSchema.parse(r)).toEqual(r);
    const a = h.trace.find((r) => r.cap_id === 'cap_a')!;
    expect(a).toEqual({
      cap_id: 'cap_a', actor_id: 'A', lane_id: 'lane:t', priority: 5, burst_limit: 2, lane_collision_policy: 'queue', coffee_lane_policy: 'sip_anyway',
      causal_rank: 1, enqueued_seq: 0, started_seq: 1, finished_seq: 8, decision: 'ran', outcome: 'executed',
    });
    const seqs = h.trace.flatMap((r) => [r.enqueued_seq, r.started_seq, r.finished_seq]).filter((s) => s !== null);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(Math.max(...seqs)).toBe(seqs.length - 1);
  });
});

/** A distributed cap as the in-memory bus builds it. */
async function captured(): Promise<DistributedCap> {
  const bus = createMemoryBus({ clock: manualClock(T0), ids: seededIds(3) });
  const [r] = await bus.runChain(makeCap({ actor_id: 'a.aint', intent: 'misc.op', authority_ref: 'sam:t', payload: {} }, bus.context), 1);
  return r!.distributed;
}

describe('lane mux on the bus', () => {
  const setup = (maxRunning?: number) => {
    const clock = manualClock(T0);
    const timer = new VirtualTimer(clock);
    const trace: ScheduleTraceRecord[] = [];
    const mux = new LaneMux({ ...(maxRunning ? { maxRunning } : {}), onTrace: (r) => trace.push(r) });
    const bus = createMemoryBus({ clock, ids: seededIds(7), phases: { schedule: mux, execute: new EchoExecutor(timer) } });
    const cap = (actor: string, payload: Record<string, unknown>, laneHint: string | null = null) =>
      makeCap({ actor_id: actor, intent: 'ops.task', authority_ref: 'sam:t', payload, lane_hint: laneHint }, bus.context);
    return { bus, timer, trace, cap, clock };
  };

  it('a refused cap gets a rejected receipt and its follow-up goes to triage', async () => {
    const { bus, timer, trace, cap } = setup();
    const lane = 'lane:triage.reject:default';
    const holder = cap('ops.gateway', { duration_ms: 50 }, lane);
    const newcomer = cap('plant.controller', {}, lane);
    const results = await timer.run(bus.runRoots([holder, newcomer], 2));
    const refused = results.find((r) => r.receipt.cap_id === newcomer.cap_id)!;
    expect(refused.receipt).toMatchObject({ outcome: 'rejected', continuation_mode: 'reject', payload: { accepted: false } });
    expect(refused.receipt.payload.reason).toMatch(/held by actor ops\.gateway/);
    expect(refused.spawned_caps.map((c) => [c.intent, c.lane_hint])).toEqual([['ops.task.triage.reject', 'lane:triage.reject:default']]);
    expect(trace).toHaveLength(results.length);
    // latency is the simulated work on the virtual clock, not queueing
    expect(results.find((r) => r.receipt.cap_id === holder.cap_id)!.usage_events[1]!.latency_ms).toBe(50);
  });

  it('a hard-avoided cap is not executed: its receipt says so and spawns nothing', async () => {
    const { bus, timer, trace, cap } = setup();
    const stale = cap('ops.gateway', { sealed_at: ago(100_000), continuation_mode: 'fork' });
    const [r] = await timer.run(bus.runChain(stale, 3));
    expect(r!.receipt).toMatchObject({ continuation_mode: 'hard_avoid', payload: { accepted: false } });
    expect(r!.receipt.payload.reason).toBe('coffee_lane_policy=hard_avoid (time_diff_seconds=100000>=86400): not executed');
    expect(r!.spawned_caps).toEqual([]);
    expect(trace[0]).toMatchObject({ decision: 'avoided', outcome: 'avoided' });
  });

  it('durations contend on the lane: burst 2 runs three 10 ms caps in 20 virtual ms', async () => {
    const { bus, timer, trace, clock } = setup();
    const factory = [1, 2, 3].map(() => makeCap({ actor_id: 'plant.controller', intent: 'factory.motion.control', authority_ref: 'sam:t', payload: { duration_ms: 10 } }, bus.context));
    await timer.run(bus.runRoots(factory, 1));
    expect(trace.map((t) => [t.burst_limit, t.decision])).toEqual([[2, 'ran'], [2, 'ran'], [2, 'queued']]);
    expect(clock.now() - T0).toBe(20);
  });
});

describe('echo executor', () => {
  const distributed = async (payload: Record<string, unknown>) => ({ ...(await captured()), cap: makeCap({ actor_id: 'a.aint', intent: 'misc.op', authority_ref: 'sam:t', payload }, testContext()) });

  it('answers synchronously when no work is asked for', async () => {
    const echo = new EchoExecutor({ sleep: () => Promise.reject(new Error('must not sleep')) });
    expect(echo.execute(await distributed({}))).toEqual({});
    expect(echo.execute(await distributed({ duration_ms: 0 }))).toEqual({});
  });

  it('sleeps payload.duration_ms on its timer', async () => {
    const slept: number[] = [];
    const echo = new EchoExecutor({ sleep: async (ms) => void slept.push(ms) });
    expect(await echo.execute(await distributed({ duration_ms: 250 }))).toEqual({});
    expect(slept).toEqual([250]);
  });

  it('refuses a duration outside 0..10000 with the reason', async () => {
    const echo = new EchoExecutor();
    for (const bad of [-1, 10_001, '5', Number.NaN]) {
      expect(echo.execute(await distributed({ duration_ms: bad }))).toMatchObject({ accepted: false, continuation_mode: 'reject', reason: expect.stringMatching(/^payload\.duration_ms must be a number from 0 to 10000/) });
    }
  });
});
