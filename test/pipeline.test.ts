import { describe, expect, it } from 'vitest';
import { createMemoryBus, ImmediateScheduler } from '../adapters/memory/index.js';
import { makeCap } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import { AdmittedCapSchema, ExecutionResultSchema } from '../src/records/result.js';
import { T0 } from './helpers.js';

const bus = (seed = 1) => createMemoryBus({ clock: manualClock(T0), ids: seededIds(seed) });
const plan = (b: ReturnType<typeof bus>, payload: Record<string, unknown> = { continuation_mode: 'fork' }) =>
  makeCap({ actor_id: 'planner.aint', intent: 'agent.plan', authority_ref: 'sam:plan', payload }, b.context);

describe('pipeline', () => {
  it('records evidence of every phase, in order, with the spec details', async () => {
    const b = bus();
    const [r] = await b.runChain(plan(b, {}), 1);
    const ev = r!.distributed.evidence;
    expect(ev.map((e) => [e.phase, e.status])).toEqual([
      ['place', 'placed'], ['distribute', 'lane-assigned'], ['inject', 'slot-populated'], ['align', 'aligned'], ['execute', 'executed'],
    ]);
    expect(Object.keys(ev[0]!.details)).toEqual(['causal_rank', 'algorithm', 'parent_id']);
    expect(Object.keys(ev[1]!.details)).toEqual(['lane_id', 'route_class', 'distribution_fabric', 'causal_rank', 'lane_policy']);
    expect(Object.keys(ev[2]!.details)).toEqual(['memory_slot', 'executor_class', 'memory_regime']);
    expect(Object.keys(ev[3]!.details)).toEqual(['alignment_group', 'cluster_mode', 'memory_slot']);
    expect(ev[4]!.details).toEqual(r!.receipt.payload);
    expect(r!.distributed).toMatchObject({ memory_slot: 'slot:lane:agent.plan:default:1', alignment_group: 'align:lane:agent.plan:default' });
    expect(r!.receipt.payload).toEqual({
      accepted: true, executed_intent: 'agent.plan', lane_id: 'lane:agent.plan:default', memory_slot: 'slot:lane:agent.plan:default:1',
      alignment_group: 'align:lane:agent.plan:default', continuation_mode: 'receipt',
    });
    expect(r!.receipt.receipt_id).toMatch(/^receipt_[0-9a-f]{16}$/);
    expect(() => ExecutionResultSchema.parse(r)).not.toThrow();
  });

  it('a fork root with 3 hops gives 3 results, breadth-first, linked to the real receipt', async () => {
    const b = bus();
    const results = await b.runChain(plan(b), 3);
    expect(results.map((r) => r.distributed.cap.intent)).toEqual(['agent.plan', 'agent.plan.fork.alpha', 'agent.plan.fork.beta']);
    const [root, alpha, beta] = results;
    expect(root!.spawned_caps.map((c) => c.cap_id)).toEqual([alpha!.distributed.cap.cap_id, beta!.distributed.cap.cap_id]);
    for (const child of [alpha!, beta!]) {
      expect(child.distributed.cap.parent_id).toBe(root!.distributed.cap.cap_id);
      expect(child.distributed.cap.payload.source_receipt_id).toBe(root!.receipt.receipt_id);
      expect(child.distributed.causal_rank).toBeGreaterThan(root!.distributed.causal_rank);
    }
  });

  it('follow-ups stop at max_hops (depth + 1 < max_hops)', async () => {
    const b = bus();
    const continuing = (x: ReturnType<typeof bus>) => plan(x, { continuation_mode: 'continue' });
    expect(await b.runChain(continuing(b), 1)).toHaveLength(1);
    expect((await b.runChain(continuing(b), 1))[0]!.spawned_caps).toEqual([]);
    // follow-ups ask for a plain receipt, so a continue chain ends after one hop whatever the bound
    expect(await b.runChain(continuing(b), 4)).toHaveLength(2);
    expect(await b.runChain(plan(b), 2)).toHaveLength(3);
  });

  it('roots run concurrently but report root by root, each chain breadth-first', async () => {
    const b = bus();
    const roots = [plan(b), plan(b, { continuation_mode: 'continue' }), plan(b, {})];
    const results = await b.runRoots(roots, 2);
    expect(results.map((r) => r.distributed.cap.parent_id ?? 'root')).toEqual([
      'root', roots[0]!.cap_id, roots[0]!.cap_id, 'root', roots[1]!.cap_id, 'root',
    ]);
  });

  it('same seed and clock → identical results (determinism)', async () => {
    const run = async () => {
      const b = bus(42);
      return JSON.stringify(await b.runChain(plan(b), 3));
    };
    expect(await run()).toBe(await run());
  });

  it('the sender\'s Lamport clock pushes the rank past it', async () => {
    const b = bus();
    const [r] = await b.runChain(plan(b, {}), 1, { lamport: 500 });
    expect(r!.distributed.causal_rank).toBe(501);
  });

  it('a custom lane-policy derivation replaces the tables', async () => {
    const b = createMemoryBus({
      clock: manualClock(T0), ids: seededIds(1),
      derive: () => ({ lane_class: 'mine', priority: 1, burst_limit: 3, preemptible: false, executor_pool: 'p', lane_collision_policy: 'queue', coffee_lane_policy: 'sip_anyway', coffee_reason: 'custom', time_diff_seconds: null, diff_threshold_seconds: 10 }),
    });
    const [r] = await b.runChain(plan(b, {}), 1);
    expect(r!.distributed.lane_policy.lane_class).toBe('mine');
    expect(r!.usage_events[1]!.lane_class).toBe('mine');
  });
});

describe('a failing executor', () => {
  it('gives its cap a resync-needed receipt and leaves the caps beside it alone, on any scheduler', async () => {
    for (const schedule of [new ImmediateScheduler(), undefined]) {
      const b = createMemoryBus({
        clock: manualClock(T0),
        ids: seededIds(1),
        phases: {
          ...(schedule ? { schedule } : {}),
          execute: { execute: (d) => { if (d.cap.payload.boom) throw new Error('device on fire'); return {}; } },
        },
      });
      const caps = [plan(b, {}), plan(b, { boom: true }), plan(b, {})];
      const results = await b.runRoots(caps, 2);
      expect(results.map((r) => r.receipt.outcome)).toEqual(['executed', 'resync-needed', 'executed', 'executed']);
      expect(results[1]!.receipt.payload.reason).toBe('executor-error: device on fire');
      expect(results[2]!.distributed.cap.intent).toBe('agent.plan.triage.resync');
    }
  });

  it('admit gives plain data that completes elsewhere as submit would complete it here', async () => {
    const cap = plan(bus(), { continuation_mode: 'fork' });
    const direct = await bus(7).submit({ cap }, { spawn: true });
    const admitted = await bus(7).admit({ cap }, { spawn: true });
    const travelled = AdmittedCapSchema.parse(JSON.parse(JSON.stringify(admitted)));
    expect(travelled).toEqual(admitted);
    expect(admitted.distributed.evidence.map((e) => e.phase)).toEqual(['place', 'distribute', 'inject', 'align']);
    const completed = await bus(7).complete(travelled);
    expect(completed.receipt.payload).toEqual(direct.receipt.payload);
    expect(completed.spawned_caps.map((c) => c.intent)).toEqual(direct.spawned_caps.map((c) => c.intent));
  });
});
