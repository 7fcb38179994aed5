import { z } from 'zod';
import { ATTESTATION_LAYERS, ROUTE_CLASSES, type Cap } from '../records/cap.js';
import { CONTINUATION_MODES } from '../policy/continuation.js';
import { GATEWAY_ACTOR } from './gateway-event.js';
import { COFFEE_POLICIES, type CoffeePolicy } from '../policy/coffee.js';
import { LanePolicySchema, laneFactsShape } from '../policy/lane.js';
import type { ExecutionResult } from '../records/result.js';
import { laneFactsOf, type UsageEvent } from '../records/usage-event.js';


const nullableString = z.string().nullable();
const continuationMode = z.enum(CONTINUATION_MODES).exclude(['resume']);

const ENTITY_TYPES = ['ai', 'service', 'device', 'agent'] as const;

/** behaviour.md §10: what kind of actor an id names; the first matching row (on the lowercased id) wins. */
export const ENTITY_TYPE_ROWS: readonly { entity_type: (typeof ENTITY_TYPES)[number]; when: (id: string) => boolean }[] = [
  { entity_type: 'ai', when: (id) => id.endsWith('.aint') },
  { entity_type: 'service', when: (id) => id.includes('gateway') || id.includes('service') },
  { entity_type: 'device', when: (id) => id.includes('factory') || id.includes('controller') },
  { entity_type: 'agent', when: () => true },
];

/** Providers that run inside the operator's own estate; anything else executes remotely. */
const LOCAL_PROVIDERS: ReadonlySet<string> = new Set(['agent-runtime', 'industrial-controller', 'internal-service']);

/** Where each governance question is answered, as dotted paths into the export-all document (reference values). */
const GOVERNANCE_LINKS = {
  what_path: 'governance.actor_model_provider_links',
  how_path: 'governance.usage_events',
  who_path: 'governance.actor_model_provider_links',
  why_path: 'governance.trust_foundation',
  continuation_graph_path: 'governance.continuation_graph',
} as const;

const GovernanceUsageEventSchema = z.object({
  event_id: z.string(),
  observation_layer: z.enum(['cap-bus', 'executor']),
  timestamp: z.string(),
  operation_id: z.string(),
  thread_id: z.string(),
  request_id: z.null(),
  token_id: z.null(),
  object_id: z.string(),
  parent_id: nullableString,
  actor: z.object({
    identity: z.string(),
    agent_id: z.string().describe('actor_id up to its first dot'),
    entity_type: z.enum(ENTITY_TYPES),
    ains_domain: nullableString.describe('the .aint identity the actor is bound to (actor_aint)'),
  }),
  inference: z.object({
    provider: nullableString,
    model: nullableString,
    execution_mode: z.enum(['local', 'remote']),
    surface: z.string(),
  }),
  route: z.object({
    route_class: z.enum(ROUTE_CLASSES),
    transport: z.string(),
    overlay_hops: z.array(z.string()).describe('always empty: the bus routes over no overlay'),
    egress_host: nullableString.describe('always null: the bus does not leave the estate by itself'),
    ...laneFactsShape,
  }),
  trust: z.object({
    basis: z.string(),
    attested: z.boolean().describe("true only when the cap's seal was verified"),
    attester: nullableString.describe(`${GATEWAY_ACTOR} (the bus checked the binding) when attested, else null`),
    signature_ref: nullableString,
    bearer: nullableString.describe('the public key the actor signs with (actor_jis_pubkey)'),
    content_hash: nullableString.describe('sha256:<hex> of the sealed cap; null when unsealed'),
  }),
  continuity: z.object({
    disposition: z.enum(['cap-dispatched', 'cap-executed']),
    verify_valid: z.boolean().describe('cap-executed: the receipt outcome is not rejected; cap-dispatched: the seal was not refused on entry'),
    causal_status: z.union([continuationMode, z.literal('observed')]).describe('the event\'s continuation mode; observed for cap-dispatched, written before the receipt'),
  }),
  evidence: z.object({
    source: z.string(),
    raw_ref: z.string(),
    emitter: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
});

const ContinuationNodeSchema = z.object({
  cap_id: z.string(),
  parent_id: nullableString,
  child_cap_ids: z.array(z.string()),
  intent: z.string(),
  lane_id: z.string(),
  continuation_mode: continuationMode,
});

const ActorLinkSchema = ContinuationNodeSchema.extend({
  actor: z.string(),
  provider: nullableString,
  model: nullableString,
  actor_aint: nullableString,
  actor_jis_pubkey: nullableString,
  route_class: z.enum(ROUTE_CLASSES),
  lane_policy: LanePolicySchema,
  trust_basis: z.string(),
  attestation_layer: z.enum(ATTESTATION_LAYERS),
  attestation_ref: nullableString,
  coffee_lane_policy: z.enum(COFFEE_POLICIES),
  coffee_reason: z.string(),
  time_diff_seconds: z.number().nullable(),
  diff_threshold_seconds: z.number(),
});

export const GovernanceDocumentSchema = z
  .object({
    governance: z.object({
      questions: z.object({ what: z.literal('ai-sbom'), how: z.literal('cbom'), who: z.literal('ains'), why: z.literal('jis') }),
      trust_foundation: z.object({
        primary: z.literal('jis'),
        jis_present: z.literal(true),
        cap_bus_present: z.literal(true),
        attestation_layers: z.array(z.enum(ATTESTATION_LAYERS)),
        coffee_policies: z.array(z.enum(COFFEE_POLICIES)),
      }),
      claims: z.object({
        usage_event_truth: z.boolean().describe('the document carries usage events'),
        lane_policy_truth: z.literal(true),
        continuation_truth: z.boolean().describe('some receipt continued (mode other than receipt)'),
      }),
      governance_links: z.object({
        what_path: z.literal(GOVERNANCE_LINKS.what_path),
        how_path: z.literal(GOVERNANCE_LINKS.how_path),
        who_path: z.literal(GOVERNANCE_LINKS.who_path),
        why_path: z.literal(GOVERNANCE_LINKS.why_path),
        continuation_graph_path: z.literal(GOVERNANCE_LINKS.continuation_graph_path),
      }),
      actor_model_provider_links: z.array(ActorLinkSchema),
      continuation_graph: z.array(ContinuationNodeSchema),
      usage_events: z.array(GovernanceUsageEventSchema),
    }),
  })
  .meta({
    id: 'GovernanceDocument',
    title: 'GovernanceDocument',
    description: 'What ran (ai-sbom), how (cbom), who (ains) and why it was trusted (jis), from one run of the bus.',
  });

export type GovernanceDocument = z.output<typeof GovernanceDocumentSchema>;
type GovernanceUsageEvent = z.output<typeof GovernanceUsageEventSchema>;
type ContinuationNode = z.output<typeof ContinuationNodeSchema>;
type ActorLink = z.output<typeof ActorLinkSchema>;

/** One usage event in the governance dialect. */
function governanceEvent(event: UsageEvent, result: ExecutionResult): GovernanceUsageEvent {
  const attested = event.verified;
  const id = event.actor_id.toLowerCase();
  return {
    event_id: event.event_id,
    observation_layer: event.observation_layer,
    timestamp: event.timestamp,
    operation_id: event.cap_id,
    thread_id: event.cap_id,
    request_id: null,
    token_id: null,
    object_id: event.cap_id,
    parent_id: result.distributed.cap.parent_id,
    actor: {
      identity: event.actor_id,
      agent_id: event.actor_id.split('.')[0]!,
      entity_type: ENTITY_TYPE_ROWS.find((row) => row.when(id))!.entity_type,
      // the AINS name is the .aint binding itself, as in the reference
      ains_domain: event.actor_aint,
    },
    inference: {
      provider: event.provider,
      model: event.model,
      execution_mode: event.provider !== null && LOCAL_PROVIDERS.has(event.provider) ? 'local' : 'remote',
      surface: event.surface,
    },
    route: {
      route_class: event.route_class,
      transport: event.transport,
      overlay_hops: [],
      egress_host: null,
      ...laneFactsOf(event),
    },
    // The reference claimed attestation whenever the layer was `jis` and named the actor as both
    // attester and bearer; here only a verified seal attests, the bus is the party that checked
    // it, and the bearer is the key the actor signs with.
    trust: {
      basis: event.trust_basis,
      attested,
      attester: attested ? GATEWAY_ACTOR : null,
      signature_ref: event.attestation_ref,
      bearer: event.actor_jis_pubkey,
      content_hash: result.seal?.cap.content_hash ?? null,
    },
    continuity: {
      disposition: event.event_type,
      // a dispatch event knows only what was known before execution: whether the seal was refused on entry
      verify_valid: event.event_type === 'cap-dispatched' ? result.seal?.cap.trust !== 'refused' : result.receipt.outcome !== 'rejected',
      causal_status: event.continuation_mode ?? 'observed',
    },
    evidence: { source: event.observation_layer, raw_ref: event.event_id, emitter: event.emitter, details: event.details },
  };
}

/** The continuation-graph node of one result. */
export function continuationNode(result: ExecutionResult): ContinuationNode {
  const { cap, lane_id } = result.distributed;
  return {
    cap_id: cap.cap_id,
    parent_id: cap.parent_id,
    child_cap_ids: result.spawned_caps.map((child) => child.cap_id),
    intent: cap.intent,
    lane_id,
    continuation_mode: result.receipt.continuation_mode,
  };
}

/** The actor/model/provider link of one result: its graph node, and who ran what under which policy. */
export function actorLink(result: ExecutionResult, node: ContinuationNode = continuationNode(result)): ActorLink {
  const { cap, lane_policy } = result.distributed;
  // provider and model as the run inferred them (every usage event of a cap shares them)
  const observed = result.usage_events[0];
  // the node's fields written out: spreading them into a record this wide is many times slower
  return {
    cap_id: node.cap_id,
    parent_id: node.parent_id,
    child_cap_ids: node.child_cap_ids,
    intent: node.intent,
    lane_id: node.lane_id,
    continuation_mode: node.continuation_mode,
    actor: cap.actor_id,
    provider: observed?.provider ?? null,
    model: observed?.model ?? null,
    actor_aint: cap.actor_aint,
    actor_jis_pubkey: cap.actor_jis_pubkey,
    route_class: cap.route_class,
    lane_policy,
    trust_basis: cap.trust_basis,
    attestation_layer: cap.attestation_layer,
    attestation_ref: cap.attestation_ref,
    coffee_lane_policy: lane_policy.coffee_lane_policy,
    coffee_reason: lane_policy.coffee_reason,
    time_diff_seconds: lane_policy.time_diff_seconds,
    diff_threshold_seconds: lane_policy.diff_threshold_seconds,
  };
}

/** The usage events of one result in the governance dialect. */
export function governanceEvents(result: ExecutionResult): GovernanceUsageEvent[] {
  return result.usage_events.map((event) => governanceEvent(event, result));
}

type Governance = GovernanceDocument['governance'];

/**
 * The parts of the governance document that need every result, gathered one result at a time
 * (so a streamed export can write them once the run is over, where they belong).
 */
export class GovernanceSummary {
  private readonly layers = new Set<Cap['attestation_layer']>();
  private readonly coffee = new Set<CoffeePolicy>();
  private usageEvents = 0;
  private continued = false;

  add(result: ExecutionResult): void {
    this.layers.add(result.distributed.cap.attestation_layer);
    this.coffee.add(result.distributed.lane_policy.coffee_lane_policy);
    this.usageEvents += result.usage_events.length;
    this.continued ||= result.receipt.continuation_mode !== 'receipt';
  }

  /** Everything before the three lists, in the document's order. */
  head(): Pick<Governance, 'questions' | 'trust_foundation' | 'claims' | 'governance_links'> {
    return {
      questions: { what: 'ai-sbom', how: 'cbom', who: 'ains', why: 'jis' },
      trust_foundation: {
        primary: 'jis',
        jis_present: true,
        cap_bus_present: true,
        attestation_layers: [...this.layers].sort(),
        coffee_policies: [...this.coffee].sort(),
      },
      claims: {
        usage_event_truth: this.usageEvents > 0,
        lane_policy_truth: true,
        continuation_truth: this.continued,
      },
      governance_links: { ...GOVERNANCE_LINKS },
    };
  }
}

/** behaviour.md §10: the governance export of one run. */
export function governanceDocument(results: readonly ExecutionResult[]): GovernanceDocument {
  const summary = new GovernanceSummary();
  for (const result of results) summary.add(result);
  const graph = results.map((result) => continuationNode(result));
  return {
    governance: {
      ...summary.head(),
      actor_model_provider_links: results.map((result, index) => actorLink(result, graph[index])),
      continuation_graph: graph,
      usage_events: results.flatMap(governanceEvents),
    },
  };
}
