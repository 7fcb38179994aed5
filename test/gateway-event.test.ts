import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeCap, type CapInput } from '../src/records/cap.js';
import { GATEWAY_CONTRACT, GatewayEventSchema, gatewayEvents, toGatewayEvent, toJsonl } from '../src/exports/gateway-event.js';
import type { ExecutionResult } from '../src/records/result.js';
import { validateGatewayEvents } from '../src/exports/validator.js';
import { deterministicBus } from './tools/runs.js';
import { REFERENCE_FIXTURE } from './tools/reference-fixture.js';

/** behaviour.md §9, in the order it lists them. */
const GATEWAY_FIELDS = [
  'event_id', 'observation_layer', 'timestamp', 'operation_id', 'thread_id', 'request_id', 'envelope_id', 'token_id',
  'parent_id', 'agent_id', 'actor_aint', 'actor_jis_pubkey', 'intent', 'method', 'target_url', 'provider', 'model',
  'payload', 'route_class', 'transport', 'surface', 'lane_class', 'lane_collision_policy', 'coffee_lane_policy',
  'coffee_reason', 'time_diff_seconds', 'diff_threshold_seconds', 'preemptible', 'lane_priority', 'gateway_actor',
  'status', 'verified', 'latency_ms', 'content_hash', 'attestation_layer', 'attestation_ref', '_emitter',
];

async function runOne(input: Partial<CapInput>, hops = 1): Promise<ExecutionResult[]> {
  const bus = deterministicBus();
  const cap = makeCap({ actor_id: 'ops-gateway', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { tool: 'search' }, ...input }, bus.context);
  return bus.runChain(cap, hops);
}

const executed = (result: ExecutionResult) => result.usage_events.find((e) => e.event_type === 'cap-executed')!;

describe('toGatewayEvent', () => {
  it('projects the cap-executed usage event field by field', async () => {
    const [result] = await runOne({
      actor_id: 'ops-gateway',
      actor_aint: 'ops.aint',
      actor_jis_pubkey: 'ed25519:' + 'ab'.repeat(32),
      route_class: 'relay',
      executor_class: 'agent-tool',
      payload: { tool: 'search', sealed_at: '2026-05-15T15:55:00Z', continuation_mode: 'reject' },
    });
    const event = executed(result!);
    const cap = result!.distributed.cap;
    const record = toGatewayEvent(result!);

    expect(Object.keys(record).sort()).toEqual([...GATEWAY_FIELDS].sort());
    expect(record).toEqual({
      event_id: event.event_id,
      observation_layer: 'tibet-gateway',
      timestamp: event.timestamp,
      operation_id: cap.cap_id,
      thread_id: cap.cap_id,
      request_id: cap.cap_id,
      envelope_id: cap.cap_id,
      token_id: `attest:${cap.cap_id}`,
      parent_id: null,
      agent_id: 'ops.aint',
      actor_aint: 'ops.aint',
      actor_jis_pubkey: 'ed25519:' + 'ab'.repeat(32),
      intent: 'agent.tool.high',
      method: 'POST',
      target_url: 'cap://agent-runtime/execute',
      provider: 'agent-runtime',
      model: 'search',
      payload: cap.payload,
      route_class: 'relay',
      transport: 'http-relay',
      surface: 'lane:agent.tool.high:agent-tool',
      lane_class: 'agent-high',
      lane_collision_policy: 'graceful_yield',
      coffee_lane_policy: 'fork_on_hop_off',
      coffee_reason: 'time_diff_seconds=300<3600',
      time_diff_seconds: 300,
      diff_threshold_seconds: 3600,
      preemptible: true,
      lane_priority: 7,
      gateway_actor: 'jis:tibet-cap-bus',
      status: 'rejected',
      verified: false,
      latency_ms: event.latency_ms,
      content_hash: null,
      attestation_layer: 'jis',
      attestation_ref: `attest:${cap.cap_id}`,
      _emitter: 'cap-bus-runtime',
    });
    expect(record.event_id).not.toBe(result!.usage_events[0]!.event_id);
  });

  it('falls back to actor_id for agent_id and to event_id for token_id', async () => {
    const [result] = await runOne({ actor_id: 'worker-7', attestation_layer: 'none' });
    const record = toGatewayEvent(result!);
    expect(record.agent_id).toBe('worker-7');
    expect(record.actor_aint).toBeNull();
    expect(record.attestation_ref).toBeNull();
    expect(record.token_id).toBe(executed(result!).event_id);
  });

  it('carries the parent of a follow-up cap', async () => {
    const results = await runOne({ payload: { continuation_mode: 'continue' } }, 2);
    expect(toGatewayEvent(results[1]!).parent_id).toBe(results[0]!.distributed.cap.cap_id);
  });

  it('stands in {intent} for an empty payload', async () => {
    const [result] = await runOne({ payload: {} });
    expect(toGatewayEvent(result!).payload).toEqual({ intent: 'agent.tool.high' });
  });

  it('refuses a result without a cap-executed event', async () => {
    const [result] = await runOne({});
    expect(() => toGatewayEvent({ ...result!, usage_events: result!.usage_events.slice(0, 1) })).toThrow(/no cap-executed usage event/);
  });
});

describe('gatewayEvents', () => {
  it('gives one record per cap-executed event, in result order', async () => {
    const results = await runOne({ payload: { continuation_mode: 'fork' } }, 2);
    expect(results).toHaveLength(3);
    const records = gatewayEvents(results);
    expect(records.map((r) => r.event_id)).toEqual(results.map((r) => executed(r).event_id));
    expect(records.map((r) => r.operation_id)).toEqual(results.map((r) => r.distributed.cap.cap_id));
    expect(records.map((r) => r.content_hash)).toEqual([null, null, null]);
    expect(records.map((r) => r.verified)).toEqual([false, false, false]);
    expect(records[1]!.parent_id).toBe(results[0]!.distributed.cap.cap_id);
    expect(gatewayEvents([])).toEqual([]);
  });

  it('emits records the contract validator and the schema accept', async () => {
    const records = gatewayEvents(await runOne({ payload: { continuation_mode: 'fork', sealed_at: '2026-05-15T15:59:50Z' } }, 3));
    expect(validateGatewayEvents(records)).toEqual([]);
    for (const record of records) expect(GatewayEventSchema.parse(record)).toEqual(record);
  });
});

describe('GatewayEventSchema', () => {
  it('names the contract and admits unknown extra fields', async () => {
    expect(GatewayEventSchema.meta()?.id).toBe('GatewayEvent');
    expect(GatewayEventSchema.meta()?.title).toContain(GATEWAY_CONTRACT);
    const [result] = await runOne({});
    const extended = { ...toGatewayEvent(result!), x_trace: 'abc' };
    expect(GatewayEventSchema.parse(extended)).toEqual(extended);
  });

  it('describes the original package fixture too', () => {
    for (const record of JSON.parse(readFileSync(REFERENCE_FIXTURE, 'utf8')) as unknown[]) {
      expect(GatewayEventSchema.safeParse(record).success).toBe(true);
    }
  });
});

describe('toJsonl', () => {
  it('writes one JSON object per line with keys sorted at every depth', async () => {
    const records = gatewayEvents(await runOne({ payload: { zeta: 1, alpha: { y: 2, b: 3 } } }));
    const text = toJsonl(records);
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual(records[0]);
    expect(lines[0]!.startsWith('{"_emitter":"cap-bus-runtime","actor_aint":')).toBe(true);
    expect(lines[0]).toContain('"payload":{"alpha":{"b":3,"y":2},"zeta":1}');
  });

  it('writes nothing for no records', () => {
    expect(toJsonl([])).toBe('');
  });
});
