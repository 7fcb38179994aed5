import { z } from 'zod';
import { ATTESTATION_LAYERS, ROUTE_CLASSES } from '../records/cap.js';
import { CONTINUATION_MODES, OUTCOMES, type ContinuationMode } from '../policy/continuation.js';
import { LanePolicySchema } from '../policy/lane.js';
import type { ExecutionResult } from '../records/result.js';

export const CBOM_DOCUMENT_TYPE = 'cap-bus-cbom-sketch';
const SURFACE_STATUSES = ['MATCH', 'TRIAGE', 'PARTIAL', 'FORKED'] as const;
type SurfaceStatus = (typeof SURFACE_STATUSES)[number];

/** behaviour.md §11: how a receipt mode reads as a surface status; every other mode is a MATCH. */
export const SURFACE_STATUS_BY_MODE: Readonly<Partial<Record<ContinuationMode, SurfaceStatus>>> = {
  reject: 'TRIAGE',
  'resync-needed': 'PARTIAL',
  fork: 'FORKED',
};

const nullableString = z.string().nullable();
const continuationMode = z.enum(CONTINUATION_MODES).exclude(['resume']);

const CbomObjectSchema = z.object({
  object_id: z.string(),
  content_hash: nullableString.describe('sha256:<hex> of the sealed cap; null when unsealed'),
  parent_id: nullableString,
  child_ids: z.array(z.string()),
  human_name: z.string(),
  canonical_surface: z.string(),
  surface_status: z.enum(SURFACE_STATUSES),
  authority: z.object({
    actor_id: z.string(),
    actor_aint: nullableString,
    actor_jis_pubkey: nullableString,
    authority_ref: z.string(),
    trust_basis: z.string(),
    attestation_layer: z.enum(ATTESTATION_LAYERS),
    attestation_ref: nullableString,
  }),
  material_facts: z.object({
    intent: z.string(),
    executor_class: z.string(),
    route_class: z.enum(ROUTE_CLASSES),
    lane_policy: LanePolicySchema,
    causal_rank: z.number().int(),
    alignment_group: z.string(),
    memory_slot: z.string(),
  }),
  continuity: z.object({
    continuation_mode: continuationMode,
    outcome: z.enum(OUTCOMES),
    receipt_id: z.string(),
    child_count: z.number().int(),
  }),
  som_events: z.array(
    z.object({
      timestamp: z.string(),
      action: z.enum(['cap-dispatched', 'cap-executed']),
      actor: z.string(),
      action_id: z.string(),
      phase: z.enum(['cap-bus', 'executor']),
      continuation_mode: continuationMode.nullable().describe('null for cap-dispatched, written before the receipt'),
      notes: z.record(z.string(), z.unknown()),
    }),
  ),
});

export const CbomDocumentSchema = z
  .object({
    cbom: z.object({
      document_type: z.literal(CBOM_DOCUMENT_TYPE),
      documents: z.array(CbomObjectSchema),
    }),
  })
  .meta({
    id: 'CbomDocument',
    title: 'CbomDocument',
    description: 'One continuity object per executed cap: its authority, material facts, receipt and events.',
  });

export type CbomDocument = z.output<typeof CbomDocumentSchema>;
export type CbomObject = z.output<typeof CbomObjectSchema>;

/** The continuity object of one result. */
export function cbomObject(result: ExecutionResult): CbomObject {
  const { cap, lane_id, lane_policy, causal_rank, alignment_group, memory_slot } = result.distributed;
  const { receipt } = result;
  return {
    object_id: cap.cap_id,
    // ties the object to the exact sealed bytes, so the document can be checked against the caps
    content_hash: result.seal?.cap.content_hash ?? null,
    parent_id: cap.parent_id,
    child_ids: result.spawned_caps.map((child) => child.cap_id),
    human_name: cap.intent,
    canonical_surface: lane_id,
    surface_status: SURFACE_STATUS_BY_MODE[receipt.continuation_mode] ?? 'MATCH',
    authority: {
      actor_id: cap.actor_id,
      actor_aint: cap.actor_aint,
      actor_jis_pubkey: cap.actor_jis_pubkey,
      authority_ref: cap.authority_ref,
      trust_basis: cap.trust_basis,
      attestation_layer: cap.attestation_layer,
      attestation_ref: cap.attestation_ref,
    },
    material_facts: {
      intent: cap.intent,
      executor_class: cap.executor_class,
      route_class: cap.route_class,
      lane_policy,
      causal_rank,
      alignment_group,
      memory_slot,
    },
    continuity: {
      continuation_mode: receipt.continuation_mode,
      outcome: receipt.outcome,
      receipt_id: receipt.receipt_id,
      child_count: result.spawned_caps.length,
    },
    som_events: result.usage_events.map((event) => ({
      timestamp: event.timestamp,
      action: event.event_type,
      actor: event.actor_id,
      action_id: event.event_id,
      phase: event.observation_layer,
      continuation_mode: event.continuation_mode,
      notes: event.details,
    })),
  };
}

/** behaviour.md §11: the CBOM export of one run. */
export function cbomDocument(results: readonly ExecutionResult[]): CbomDocument {
  return {
    cbom: {
      document_type: CBOM_DOCUMENT_TYPE,
      documents: results.map(cbomObject),
    },
  };
}
