import { describe, expect, it } from 'vitest';
import { deriveLanePolicy, deriveLaneShape, laneIdFor } from '../src/policy/lane.js';
import { cap, T0 } from './helpers.js';

describe('lane id (behaviour.md §3)', () => {
  it('is the lane hint when set', () => {
    expect(laneIdFor(cap({ lane_hint: 'lane:custom', intent: 'agent.x' }))).toBe('lane:custom');
  });
  it('is lane:<intent>:<executor_class> otherwise', () => {
    expect(laneIdFor(cap({ intent: 'agent.x', executor_class: 'gpu' }))).toBe('lane:agent.x:gpu');
  });
});

const shape = (fields: Parameters<typeof cap>[0]) => {
  const c = cap(fields);
  return deriveLaneShape(c, laneIdFor(c));
};

describe('lane policy derivation (behaviour.md §4)', () => {
  it('defaults: standard, 5, 8, not preemptible, pool = executor class, queue', () => {
    expect(shape({ intent: 'misc.op', executor_class: 'cpu' })).toEqual({
      lane_class: 'standard', priority: 5, burst_limit: 8, preemptible: false, executor_pool: 'cpu', lane_collision_policy: 'queue',
    });
  });
  it('factory.* → industrial-control', () => {
    expect(shape({ intent: 'factory.motion.control' })).toEqual({
      lane_class: 'industrial-control', priority: 9, burst_limit: 2, preemptible: false, executor_pool: 'motion-critical', lane_collision_policy: 'assert_root',
    });
  });
  it('agent.tool.high* → agent-high', () => {
    expect(shape({ intent: 'agent.tool.high' })).toEqual({
      lane_class: 'agent-high', priority: 7, burst_limit: 16, preemptible: true, executor_pool: 'agent-burst', lane_collision_policy: 'graceful_yield',
    });
    expect(shape({ intent: 'agent.tool.highest' }).lane_class).toBe('agent-high');
    expect(shape({ intent: 'agent.tool.low' }).lane_class).toBe('standard');
  });
  it('service.rpc* → service-standard', () => {
    expect(shape({ intent: 'service.rpc.standard' })).toEqual({
      lane_class: 'service-standard', priority: 6, burst_limit: 32, preemptible: true, executor_pool: 'service-mesh', lane_collision_policy: 'queue',
    });
    expect(shape({ intent: 'service.rpcx' }).lane_class).toBe('service-standard');
  });
  it('the first matching intent row wins ("factory." before the others)', () => {
    expect(shape({ intent: 'factory.agent.tool.high' }).lane_class).toBe('industrial-control');
  });
  it('triage.reject lanes, by intent marker or by lane id', () => {
    const expected = { lane_class: 'triage-reject', priority: 10, burst_limit: 1, preemptible: false, executor_pool: 'triage-human', lane_collision_policy: 'reject' };
    expect(shape({ intent: 'agent.tool.high.triage.reject' })).toEqual(expected);
    expect(shape({ intent: 'misc.op', lane_hint: 'lane:triage.reject:default' })).toEqual(expected);
  });
  it('triage.resync lanes', () => {
    const expected = { lane_class: 'triage-resync', priority: 9, burst_limit: 2, preemptible: false, executor_pool: 'triage-resync', lane_collision_policy: 'queue' };
    expect(shape({ intent: 'service.rpc.x.triage.resync' })).toEqual(expected);
    expect(shape({ lane_hint: 'lane:triage.resync:cpu' })).toEqual(expected);
  });
  it('reject wins over resync when a lane names both', () => {
    expect(shape({ intent: 'a.triage.reject.triage.resync' }).lane_class).toBe('triage-reject');
  });
  it('fork.alpha: priority max(p, 8), burst max(4, b/2), pool-alpha, override_all', () => {
    expect(shape({ intent: 'service.rpc.x.fork.alpha' })).toEqual({
      lane_class: 'fork-alpha', priority: 8, burst_limit: 16, preemptible: false, executor_pool: 'service-mesh-alpha', lane_collision_policy: 'override_all',
    });
    expect(shape({ intent: 'factory.x.fork.alpha' })).toMatchObject({ priority: 9, burst_limit: 4, executor_pool: 'motion-critical-alpha' });
  });
  it('fork.beta: priority min(p, 4), burst max(2, b/2), preemptible, pool-beta, graceful_yield', () => {
    expect(shape({ intent: 'agent.tool.high.fork.beta' })).toEqual({
      lane_class: 'fork-beta', priority: 4, burst_limit: 8, preemptible: true, executor_pool: 'agent-burst-beta', lane_collision_policy: 'graceful_yield',
    });
    expect(shape({ intent: 'factory.x.fork.beta' })).toMatchObject({ priority: 4, burst_limit: 2 });
  });
  it('triage and fork rows both apply (fork reads what triage set)', () => {
    expect(shape({ intent: 'x.triage.resync.fork.alpha' })).toMatchObject({ lane_class: 'fork-alpha', priority: 9, burst_limit: 4, executor_pool: 'triage-resync-alpha' });
  });
  it('relay gives up one burst unit, never below 1', () => {
    expect(shape({ intent: 'misc.op', route_class: 'relay' }).burst_limit).toBe(7);
    expect(shape({ intent: 'x.triage.reject', route_class: 'relay' }).burst_limit).toBe(1);
    expect(shape({ intent: 'factory.x', route_class: 'relay' }).burst_limit).toBe(1);
  });
  it('caps of different intents or routes on one hinted lane keep their own shapes', () => {
    const policy = (fields: Parameters<typeof cap>[0]) => {
      const c = cap({ lane_hint: 'lane:shared', ...fields });
      return deriveLanePolicy(c, laneIdFor(c), T0);
    };
    expect(policy({ intent: 'factory.x' }).lane_class).toBe('industrial-control');
    expect(policy({ intent: 'agent.tool.high' }).lane_class).toBe('agent-high');
    expect(policy({ intent: 'agent.tool.high', route_class: 'relay' }).burst_limit).toBe(15);
    expect(policy({ intent: 'agent.tool.high' }).burst_limit).toBe(16);
  });
  it('the full policy carries the coffee decision', () => {
    const c = cap({ intent: 'agent.tool.high' });
    expect(deriveLanePolicy(c, laneIdFor(c), T0)).toMatchObject({ coffee_lane_policy: 'sip_anyway', coffee_reason: 'healthy_lane', time_diff_seconds: null, diff_threshold_seconds: 3600 });
  });
});
