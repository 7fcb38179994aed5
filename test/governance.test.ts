import { describe, expect, it } from 'vitest';
import { makeCap } from '../src/records/cap.js';
import { ENTITY_TYPE_ROWS, GovernanceDocumentSchema, governanceDocument } from '../src/exports/governance.js';
import { deterministicBus, mixedRun } from './tools/runs.js';

const results = await mixedRun();
const doc = governanceDocument(results);
const g = doc.governance;
const [root, alpha, beta, reject, triage, resync] = results;
const capId = (i: number) => results[i]!.distributed.cap.cap_id;

describe('governanceDocument', () => {
  it('has the run the tests expect', () => {
    expect(results.map((r) => `${r.distributed.cap.intent}:${r.receipt.continuation_mode}`)).toEqual([
      'agent.plan:fork',
      'agent.plan.fork.alpha:receipt',
      'agent.plan.fork.beta:receipt',
      'service.rpc.billing:reject',
      'service.rpc.billing.triage.reject:receipt',
      'factory.motion.control:resync-needed',
    ]);
  });

  it('answers the four questions and names its trust foundation', () => {
    expect(g.questions).toEqual({ what: 'ai-sbom', how: 'cbom', who: 'ains', why: 'jis' });
    expect(g.trust_foundation).toEqual({
      primary: 'jis',
      jis_present: true,
      cap_bus_present: true,
      attestation_layers: ['jis', 'none'],
      coffee_policies: ['polite_avoid', 'sip_anyway'],
    });
  });

  it('states its claims from the run', async () => {
    expect(g.claims).toEqual({ usage_event_truth: true, lane_policy_truth: true, continuation_truth: true });
    expect(governanceDocument([]).governance.claims).toEqual({ usage_event_truth: false, lane_policy_truth: true, continuation_truth: false });
    const bus = deterministicBus();
    const plain = await bus.run(makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: {} }, bus.context));
    expect(governanceDocument([plain]).governance.claims.continuation_truth).toBe(false);
  });

  it('links each question to where the export-all document answers it', () => {
    expect(g.governance_links).toEqual({
      what_path: 'governance.actor_model_provider_links',
      how_path: 'governance.usage_events',
      who_path: 'governance.actor_model_provider_links',
      why_path: 'governance.trust_foundation',
      continuation_graph_path: 'governance.continuation_graph',
    });
  });

  it('draws the continuation graph, one node per result', () => {
    expect(g.continuation_graph).toEqual([
      { cap_id: capId(0), parent_id: null, child_cap_ids: [capId(1), capId(2)], intent: 'agent.plan', lane_id: 'lane:agent.plan:agent-plan', continuation_mode: 'fork' },
      { cap_id: capId(1), parent_id: capId(0), child_cap_ids: [], intent: 'agent.plan.fork.alpha', lane_id: 'lane:agent.plan.fork.alpha:agent-plan', continuation_mode: 'receipt' },
      { cap_id: capId(2), parent_id: capId(0), child_cap_ids: [], intent: 'agent.plan.fork.beta', lane_id: 'lane:agent.plan.fork.beta:agent-plan', continuation_mode: 'receipt' },
      { cap_id: capId(3), parent_id: null, child_cap_ids: [capId(4)], intent: 'service.rpc.billing', lane_id: 'lane:service.rpc.billing:service', continuation_mode: 'reject' },
      { cap_id: capId(4), parent_id: capId(3), child_cap_ids: [], intent: 'service.rpc.billing.triage.reject', lane_id: 'lane:triage.reject:service', continuation_mode: 'receipt' },
      { cap_id: capId(5), parent_id: null, child_cap_ids: [], intent: 'factory.motion.control', lane_id: 'lane:factory.motion.control:motion', continuation_mode: 'resync-needed' },
    ]);
  });

  it('links each cap to its actor, model and provider', () => {
    expect(g.actor_model_provider_links).toHaveLength(results.length);
    g.actor_model_provider_links.forEach((link, i) => expect(link).toMatchObject(g.continuation_graph[i]!));
    const policy = root!.distributed.lane_policy;
    expect(g.actor_model_provider_links[0]).toEqual({
      ...g.continuation_graph[0],
      actor: 'planner.aint',
      provider: 'llm-runtime',
      model: 'planner-7b',
      actor_aint: 'planner.aint',
      actor_jis_pubkey: 'ed25519:' + '5a'.repeat(32),
      route_class: 'direct',
      lane_policy: policy,
      trust_basis: 'jis',
      attestation_layer: 'jis',
      attestation_ref: `attest:${capId(0)}`,
      coffee_lane_policy: 'sip_anyway',
      coffee_reason: 'healthy_lane',
      time_diff_seconds: null,
      diff_threshold_seconds: 3600,
    });
    expect(g.actor_model_provider_links[3]).toMatchObject({ actor: 'edge-gateway', provider: 'internal-service', model: 'billing', actor_aint: null, attestation_layer: 'none', attestation_ref: null });
    expect(g.actor_model_provider_links[5]).toMatchObject({ provider: 'industrial-controller', model: 'control-command', coffee_lane_policy: 'polite_avoid' });
  });

  it('restates every usage event in the governance dialect, field by field', () => {
    expect(g.usage_events).toHaveLength(2 * results.length);
    const event = alpha!.usage_events[1]!;
    expect(g.usage_events[3]).toEqual({
      event_id: event.event_id,
      observation_layer: 'executor',
      timestamp: event.timestamp,
      operation_id: capId(1),
      thread_id: capId(1),
      request_id: null,
      token_id: null,
      object_id: capId(1),
      parent_id: capId(0),
      actor: { identity: 'planner.aint', agent_id: 'planner', entity_type: 'ai', ains_domain: 'planner.aint' },
      inference: { provider: 'agent-runtime', model: 'continuation-runtime', execution_mode: 'local', surface: 'lane:agent.plan.fork.alpha:agent-plan' },
      route: {
        route_class: 'direct',
        transport: 'mux-lane',
        overlay_hops: [],
        egress_host: null,
        lane_class: 'fork-alpha',
        lane_collision_policy: 'override_all',
        coffee_lane_policy: 'sip_anyway',
        coffee_reason: 'healthy_lane',
        time_diff_seconds: null,
        diff_threshold_seconds: 3600,
        preemptible: false,
        lane_priority: 8,
      },
      // follow-ups do not inherit the sender's key (behaviour.md §7), so nothing bears them yet
      trust: { basis: 'jis', attested: false, attester: null, signature_ref: `attest:${capId(1)}`, bearer: null, content_hash: null },
      continuity: { disposition: 'cap-executed', verify_valid: true, causal_status: 'receipt' },
      evidence: { source: 'executor', raw_ref: event.event_id, emitter: 'cap-bus-runtime', details: event.details },
    });
    expect(g.usage_events[2]).toMatchObject({
      event_id: alpha!.usage_events[0]!.event_id,
      observation_layer: 'cap-bus',
      continuity: { disposition: 'cap-dispatched' },
      evidence: { source: 'cap-bus', raw_ref: alpha!.usage_events[0]!.event_id },
    });
  });

  it('tells local from remote inference', () => {
    const modes = g.usage_events.filter((_, i) => i % 2 === 1).map((e) => `${e.inference.provider}:${e.inference.execution_mode}`);
    expect(modes).toEqual([
      'llm-runtime:remote',
      'agent-runtime:local',
      'agent-runtime:local',
      'internal-service:local',
      'internal-service:local',
      'industrial-controller:local',
    ]);
  });

  it('classifies actors by the first matching row, case-insensitively', () => {
    expect(g.usage_events[6]!.actor).toEqual({ identity: 'edge-gateway', agent_id: 'edge-gateway', entity_type: 'service', ains_domain: null });
    expect(g.usage_events[10]!.actor).toMatchObject({ entity_type: 'device' });
    const classify = (id: string) => ENTITY_TYPE_ROWS.find((row) => row.when(id.toLowerCase()))!.entity_type;
    expect(['Codex.AINT', 'Billing-Service', 'factory.robot', 'gateway-controller', 'sam'].map(classify)).toEqual(['ai', 'service', 'device', 'service', 'agent']);
  });

  it('judges the executed event by the receipt; the dispatch event knows no receipt yet (observed, valid unless refused on entry)', () => {
    expect(g.usage_events.slice(6, 8).map((e) => e.continuity)).toEqual([
      { disposition: 'cap-dispatched', verify_valid: true, causal_status: 'observed' },
      { disposition: 'cap-executed', verify_valid: false, causal_status: 'reject' },
    ]);
    expect(g.usage_events[10]!.continuity).toEqual({ disposition: 'cap-dispatched', verify_valid: true, causal_status: 'observed' });
    expect(triage!.receipt.outcome).toBe('executed');
    expect(reject!.receipt.outcome).toBe('rejected');
    expect(resync!.receipt.outcome).toBe('resync-needed');
  });

  it('matches its schema', () => {
    expect(GovernanceDocumentSchema.meta()?.id).toBe('GovernanceDocument');
    expect(GovernanceDocumentSchema.parse(doc)).toEqual(doc);
    expect(GovernanceDocumentSchema.parse(governanceDocument([]))).toEqual(governanceDocument([]));
    expect(beta!.spawned_caps).toEqual([]);
  });
});
