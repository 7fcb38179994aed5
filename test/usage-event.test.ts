import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../src/config.js';
import { inferUsage } from '../src/records/usage-event.js';
import { createMemoryBus } from '../adapters/memory/index.js';
import { makeCap } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import { cap, T0 } from './helpers.js';

const infer = (fields: Parameters<typeof cap>[0], config = DEFAULT_CONFIG) => {
  const c = cap(fields);
  return inferUsage(c, 'lane:the-lane', config);
};

describe('usage inference columns (behaviour.md §8)', () => {
  it('provider precedence', () => {
    expect(infer({ intent: 'factory.x', payload: { model: 'm' } }).provider).toBe('llm-runtime');
    expect(infer({ intent: 'service.rpc.x' }).provider).toBe('internal-service');
    expect(infer({ intent: 'factory.x' }).provider).toBe('industrial-controller');
    expect(infer({ intent: 'agent.x' }).provider).toBe('agent-runtime');
    expect(infer({ intent: 'misc.x' }).provider).toBeNull();
  });
  it('model precedence', () => {
    expect(infer({ payload: { model: 'm1', tool: 't' } }).model).toBe('m1');
    expect(infer({ payload: { model: 7, tool: 't' } }).model).toBe('t');
    expect(infer({ intent: 'service.rpc.x', payload: { service: 'billing' } }).model).toBe('billing');
    expect(infer({ intent: 'service.rpc.x' }).model).toBe('service-call');
    expect(infer({ intent: 'factory.x' }).model).toBe('control-command');
    expect(infer({ intent: 'agent.x' }).model).toBe('continuation-runtime');
    expect(infer({ intent: 'misc.x' }).model).toBeNull();
  });
  it('target_url precedence, with the LLM endpoint from configuration', () => {
    expect(infer({ payload: { target_url: 'https://x/y', model: 'm' } }).target_url).toBe('https://x/y');
    expect(infer({ payload: { model: 'm' } }).target_url).toBe(DEFAULT_CONFIG.llmEndpoint);
    expect(infer({ payload: { model: 'm' } }, { ...DEFAULT_CONFIG, llmEndpoint: 'http://llm.example/v1', llmSurface: 's' }).target_url).toBe('http://llm.example/v1');
    expect(infer({ intent: 'service.rpc.x', payload: { service: 'billing' } }).target_url).toBe('https://billing.internal/api');
    expect(infer({ intent: 'service.rpc.x' }).target_url).toBe('https://service.internal/api');
    expect(infer({ intent: 'factory.x' }).target_url).toBe('opcua://factory-bus.local/line/a');
    expect(infer({ intent: 'agent.x' }).target_url).toBe('cap://agent-runtime/execute');
    expect(infer({ intent: 'misc.x' }).target_url).toBeNull();
  });
  it('transport precedence', () => {
    expect(infer({ intent: 'factory.x', route_class: 'relay' }).transport).toBe('http-relay');
    expect(infer({ intent: 'factory.x' }).transport).toBe('mux-opcua');
    expect(infer({ intent: 'service.rpc.x' }).transport).toBe('http-mesh');
    expect(infer({ intent: 'agent.x' }).transport).toBe('mux-lane');
  });
  it('surface precedence, with the LLM surface from configuration', () => {
    expect(infer({ intent: 'factory.x', payload: { model: 'm' } }).surface).toBe('factory-control-plane');
    expect(infer({ intent: 'service.rpc.x', payload: { service: 'billing', model: 'm' } }).surface).toBe('billing-service-lane');
    expect(infer({ intent: 'service.rpc.x' }).surface).toBe('service-service-lane');
    expect(infer({ intent: 'agent.x', payload: { model: 'm' } }, { ...DEFAULT_CONFIG, llmEndpoint: 'e', llmSurface: 'my-llm' }).surface).toBe('my-llm');
    expect(infer({ intent: 'agent.x', payload: { model: '' } }).surface).toBe('lane:the-lane');
  });
  it('no private addresses in the defaults', () => {
    expect(DEFAULT_CONFIG.llmEndpoint).not.toMatch(/\b(10|127|192\.168|172\.(1[6-9]|2\d|3[01]))\.\d+/);
  });
});

describe('usage events of a run', () => {
  it('two events: dispatched (queued, 0 ms) and executed (outcome, measured ms)', async () => {
    // each monotonic reading advances 2.5 ms, so the measured execution time is exactly 2.5 ms
    const bus = createMemoryBus({ clock: manualClock(T0, 2.5), ids: seededIds(3) });
    const c = makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { tool: 'search' } }, bus.context);
    const [result] = await bus.runChain(c, 1);
    const [dispatched, executed] = result!.usage_events;
    expect(dispatched).toMatchObject({ event_type: 'cap-dispatched', observation_layer: 'cap-bus', status: 'queued', latency_ms: 0, verified: false, emitter: 'cap-bus-runtime' });
    expect(executed).toMatchObject({ event_type: 'cap-executed', observation_layer: 'executor', status: 'executed', latency_ms: 2.5, verified: false });
    expect(dispatched!.details).toMatchObject({ parent_id: null, causal_rank: 1, method: 'POST', coffee_reason: 'healthy_lane', payload: { tool: 'search' } });
    expect(executed!.details).toMatchObject({ receipt_id: result!.receipt.receipt_id, outcome: 'executed', method: 'POST' });
    for (const e of result!.usage_events) {
      expect(e).toMatchObject({ cap_id: c.cap_id, actor_id: 'codex.aint', actor_aint: 'codex.aint', intent: 'agent.tool.high', provider: 'agent-runtime', model: 'search', lane_id: 'lane:agent.tool.high:default', lane_class: 'agent-high', lane_priority: 7, preemptible: true, attestation_ref: `attest:${c.cap_id}` });
      expect(e.event_id).toMatch(/^evt_[0-9a-f]{16}$/);
    }
  });
});
