import { describe, expect, it } from 'vitest';
import { CbomDocumentSchema, SURFACE_STATUS_BY_MODE, cbomDocument } from '../src/exports/cbom.js';
import { mixedRun } from './tools/runs.js';

const results = await mixedRun();
const doc = cbomDocument(results);
const documents = doc.cbom.documents;
const capId = (i: number) => results[i]!.distributed.cap.cap_id;

describe('cbomDocument', () => {
  it('is a cap-bus CBOM sketch with one document per result', () => {
    expect(doc.cbom.document_type).toBe('cap-bus-cbom-sketch');
    expect(documents.map((d) => d.object_id)).toEqual(results.map((r) => r.distributed.cap.cap_id));
    expect(cbomDocument([])).toEqual({ cbom: { document_type: 'cap-bus-cbom-sketch', documents: [] } });
  });

  it('describes the forking root field by field', () => {
    const [root] = results;
    const { distributed, receipt } = root!;
    expect(documents[0]).toEqual({
      object_id: capId(0),
      content_hash: null,
      parent_id: null,
      child_ids: [capId(1), capId(2)],
      human_name: 'agent.plan',
      canonical_surface: 'lane:agent.plan:agent-plan',
      surface_status: 'FORKED',
      authority: {
        actor_id: 'planner.aint',
        actor_aint: 'planner.aint',
        actor_jis_pubkey: 'ed25519:' + '5a'.repeat(32),
        authority_ref: 'sam:plan',
        trust_basis: 'jis',
        attestation_layer: 'jis',
        attestation_ref: `attest:${capId(0)}`,
      },
      material_facts: {
        intent: 'agent.plan',
        executor_class: 'agent-plan',
        route_class: 'direct',
        lane_policy: distributed.lane_policy,
        causal_rank: distributed.causal_rank,
        alignment_group: 'align:lane:agent.plan:agent-plan',
        memory_slot: `slot:lane:agent.plan:agent-plan:${distributed.causal_rank}`,
      },
      continuity: { continuation_mode: 'fork', outcome: 'executed', receipt_id: receipt.receipt_id, child_count: 2 },
      som_events: root!.usage_events.map((event) => ({
        timestamp: event.timestamp,
        action: event.event_type,
        actor: 'planner.aint',
        action_id: event.event_id,
        phase: event.observation_layer,
        // the dispatch event was written before the receipt
        continuation_mode: event.event_type === 'cap-dispatched' ? null : 'fork',
        notes: event.details,
      })),
    });
    expect(documents[0]!.som_events.map((e) => `${e.action}@${e.phase}`)).toEqual(['cap-dispatched@cap-bus', 'cap-executed@executor']);
  });

  it('reads each receipt mode as a surface status', () => {
    expect(documents.map((d) => [d.human_name, d.surface_status, d.continuity.outcome, d.continuity.child_count])).toEqual([
      ['agent.plan', 'FORKED', 'executed', 2],
      ['agent.plan.fork.alpha', 'MATCH', 'executed', 0],
      ['agent.plan.fork.beta', 'MATCH', 'executed', 0],
      ['service.rpc.billing', 'TRIAGE', 'rejected', 1],
      ['service.rpc.billing.triage.reject', 'MATCH', 'executed', 0],
      ['factory.motion.control', 'PARTIAL', 'resync-needed', 0],
    ]);
    expect(SURFACE_STATUS_BY_MODE).toEqual({ reject: 'TRIAGE', 'resync-needed': 'PARTIAL', fork: 'FORKED' });
  });

  it('keeps parent and child links consistent', () => {
    expect(documents[1]!.parent_id).toBe(capId(0));
    expect(documents[2]!.parent_id).toBe(capId(0));
    expect(documents[3]!.child_ids).toEqual([capId(4)]);
    expect(documents[4]!.parent_id).toBe(capId(3));
    expect(documents[4]!.canonical_surface).toBe('lane:triage.reject:service');
    expect(documents[4]!.material_facts.lane_policy.lane_class).toBe('triage-reject');
    expect(documents[4]!.material_facts.route_class).toBe('relay');
  });

  it('records authority as the cap states it, unattested caps included', () => {
    expect(documents[3]!.authority).toEqual({
      actor_id: 'edge-gateway',
      actor_aint: null,
      actor_jis_pubkey: null,
      authority_ref: 'sam:rpc',
      trust_basis: 'jis',
      attestation_layer: 'none',
      attestation_ref: null,
    });
    expect(documents[5]!.som_events.map((e) => [e.actor, e.continuation_mode])).toEqual([['factory-press-7', null], ['factory-press-7', 'resync-needed']]);
  });

  it('matches its schema', () => {
    expect(CbomDocumentSchema.meta()?.id).toBe('CbomDocument');
    expect(CbomDocumentSchema.parse(doc)).toEqual(doc);
  });
});
