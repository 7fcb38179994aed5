import { z } from 'zod';
import type { Cap } from './cap.js';
import { ROUTE_CLASSES, ATTESTATION_LAYERS } from './cap.js';
import type { BusConfig } from '../config.js';
import { CONTINUATION_MODES } from '../policy/continuation.js';
import { laneFactsShape } from '../policy/lane.js';
import type { CapReceipt } from './receipt.js';
import type { DistributedCap } from './distributed.js';
import type { IdSource } from '../clock.js';
import type { Measurements } from './verdict.js';

const str = z.string().nullable();

export const UsageEventSchema = z
  .object({
    event_id: z.string().regex(/^evt_[0-9a-f]{16}$/),
    observation_layer: z.enum(['cap-bus', 'executor']),
    event_type: z.enum(['cap-dispatched', 'cap-executed']),
    cap_id: z.string(),
    actor_id: z.string(),
    intent: z.string(),
    timestamp: z.string(),
    provider: str,
    model: str,
    actor_aint: str,
    actor_jis_pubkey: str,
    route_class: z.enum(ROUTE_CLASSES),
    lane_id: z.string(),
    executor_class: z.string(),
    trust_basis: z.string(),
    attestation_layer: z.enum(ATTESTATION_LAYERS),
    attestation_ref: str,
    target_url: str,
    transport: z.string(),
    surface: z.string(),
    ...laneFactsShape,
    status: z.string(),
    latency_ms: z.number(),
    verified: z.boolean(),
    continuation_mode: z
      .enum(CONTINUATION_MODES)
      .exclude(['resume'])
      .nullable()
      .describe("the receipt's mode on cap-executed; null on cap-dispatched, which is written before there is a receipt"),
    emitter: z.literal('cap-bus-runtime'),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'UsageEvent', title: 'UsageEvent', description: 'One observation of a cap: dispatched or executed.' });

export type UsageEvent = z.output<typeof UsageEventSchema>;

/** What the projection reads about a cap (inference columns of behaviour.md §8). */
interface Facts {
  cap: Cap;
  payload: Record<string, unknown>;
  laneId: string;
  config: BusConfig;
}
type Column<T> = readonly (readonly [(f: Facts) => boolean, (f: Facts) => T])[];

const isFactory = (f: Facts) => f.cap.intent.startsWith('factory.');
const isService = (f: Facts) => f.cap.intent.startsWith('service.rpc');
const isAgent = (f: Facts) => f.cap.intent.startsWith('agent.');
const hasModel = (f: Facts) => 'model' in f.payload;
const strField = (key: string) => (f: Facts) => typeof f.payload[key] === 'string';
const field = (key: string) => (f: Facts) => f.payload[key] as string;
const serviceName = (f: Facts) => (typeof f.payload.service === 'string' ? f.payload.service : 'service');
const always = () => true;

/** behaviour.md §8 inference, one table per column; the first matching row wins. */
const PROVIDER: Column<string | null> = [
  [hasModel, () => 'llm-runtime'],
  [isService, () => 'internal-service'],
  [isFactory, () => 'industrial-controller'],
  [isAgent, () => 'agent-runtime'],
  [always, () => null],
];
const MODEL: Column<string | null> = [
  [strField('model'), field('model')],
  [strField('tool'), field('tool')],
  [isService, (f) => (typeof f.payload.service === 'string' ? f.payload.service : 'service-call')],
  [isFactory, () => 'control-command'],
  [isAgent, () => 'continuation-runtime'],
  [always, () => null],
];
const TARGET_URL: Column<string | null> = [
  [strField('target_url'), field('target_url')],
  [hasModel, (f) => f.config.llmEndpoint],
  [isService, (f) => `https://${serviceName(f)}.internal/api`],
  [isFactory, () => 'opcua://factory-bus.local/line/a'],
  [isAgent, () => 'cap://agent-runtime/execute'],
  [always, () => null],
];
const TRANSPORT: Column<string> = [
  [(f) => f.cap.route_class === 'relay', () => 'http-relay'],
  [isFactory, () => 'mux-opcua'],
  [isService, () => 'http-mesh'],
  [always, () => 'mux-lane'],
];
const SURFACE: Column<string> = [
  [isFactory, () => 'factory-control-plane'],
  [isService, (f) => `${serviceName(f)}-service-lane`],
  [(f) => Boolean(f.payload.model), (f) => f.config.llmSurface],
  [always, (f) => f.laneId],
];

function infer<T>(column: Column<T>, facts: Facts): T {
  for (const [when, value] of column) if (when(facts)) return value(facts);
  throw new Error('inference table without a fallback row');
}

interface Inferred {
  provider: string | null;
  model: string | null;
  target_url: string | null;
  transport: string;
  surface: string;
}

export function inferUsage(cap: Cap, laneId: string, config: BusConfig): Inferred {
  const facts: Facts = { cap, payload: cap.payload, laneId, config };
  return {
    provider: infer(PROVIDER, facts),
    model: infer(MODEL, facts),
    target_url: infer(TARGET_URL, facts),
    transport: infer(TRANSPORT, facts),
    surface: infer(SURFACE, facts),
  };
}

/** What differs between the two events of a cap. */
interface EventKind {
  observation_layer: UsageEvent['observation_layer'];
  event_type: UsageEvent['event_type'];
  timestamp: string;
  status: string;
  latency_ms: number;
  /** what the event knew when it was written: no mode before execution */
  continuation_mode: UsageEvent['continuation_mode'];
  details: Record<string, unknown>;
}

/**
 * One usage event. Written out field by field (not spread from a shared object) because this
 * runs twice per cap and a literal of fixed shape is several times cheaper to build.
 */
function usageEvent(id: string, kind: EventKind, d: DistributedCap, inferred: Inferred, verified: boolean): UsageEvent {
  const { cap, lane_policy: policy } = d;
  return {
    event_id: id,
    observation_layer: kind.observation_layer,
    event_type: kind.event_type,
    cap_id: cap.cap_id,
    actor_id: cap.actor_id,
    intent: cap.intent,
    timestamp: kind.timestamp,
    provider: inferred.provider,
    model: inferred.model,
    actor_aint: cap.actor_aint,
    actor_jis_pubkey: cap.actor_jis_pubkey,
    route_class: cap.route_class,
    lane_id: d.lane_id,
    executor_class: cap.executor_class,
    trust_basis: cap.trust_basis,
    attestation_layer: cap.attestation_layer,
    attestation_ref: cap.attestation_ref,
    target_url: inferred.target_url,
    transport: inferred.transport,
    surface: inferred.surface,
    lane_class: policy.lane_class,
    lane_collision_policy: policy.lane_collision_policy,
    coffee_lane_policy: policy.coffee_lane_policy,
    coffee_reason: policy.coffee_reason,
    time_diff_seconds: policy.time_diff_seconds,
    diff_threshold_seconds: policy.diff_threshold_seconds,
    preemptible: policy.preemptible,
    lane_priority: policy.priority,
    status: kind.status,
    latency_ms: kind.latency_ms,
    verified,
    continuation_mode: kind.continuation_mode,
    emitter: 'cap-bus-runtime',
    details: kind.details,
  };
}

/**
 * behaviour.md §8: a cap-dispatched event (stamped when the cap was placed, so it carries no
 * continuation mode) and a cap-executed event (stamped with the receipt, carrying its mode).
 */
export function projectUsage(d: DistributedCap, receipt: CapReceipt, measured: Measurements, ids: IdSource, config: BusConfig): UsageEvent[] {
  const { cap, lane_policy } = d;
  const inferred = inferUsage(cap, d.lane_id, config);
  const dispatched: EventKind = {
    observation_layer: 'cap-bus',
    event_type: 'cap-dispatched',
    timestamp: d.evidence[0]?.recorded_at ?? receipt.created_at,
    status: 'queued',
    latency_ms: 0.0,
    continuation_mode: null,
    details: {
      parent_id: cap.parent_id, causal_rank: d.causal_rank, memory_slot: d.memory_slot, alignment_group: d.alignment_group,
      lane_policy, payload: cap.payload, method: 'POST', coffee_reason: lane_policy.coffee_reason,
    },
  };
  const executed: EventKind = {
    observation_layer: 'executor',
    event_type: 'cap-executed',
    timestamp: receipt.created_at,
    status: receipt.outcome,
    latency_ms: measured.latency_ms,
    continuation_mode: receipt.continuation_mode,
    details: {
      parent_id: cap.parent_id, receipt_id: receipt.receipt_id, outcome: receipt.outcome,
      ...(receipt.payload.reason === undefined ? {} : { reason: receipt.payload.reason }),
      memory_slot: d.memory_slot,
      alignment_group: d.alignment_group, lane_policy, payload: cap.payload, method: 'POST', coffee_reason: lane_policy.coffee_reason,
    },
  };
  return [
    usageEvent(`evt_${ids.hex16()}`, dispatched, d, inferred, measured.verified),
    usageEvent(`evt_${ids.hex16()}`, executed, d, inferred, measured.verified),
  ];
}

/** The lane facts of an event, as the gateway and governance views repeat them. */
export function laneFactsOf(event: UsageEvent) {
  const { lane_class, lane_collision_policy, coffee_lane_policy, coffee_reason, time_diff_seconds, diff_threshold_seconds, preemptible, lane_priority } = event;
  return { lane_class, lane_collision_policy, coffee_lane_policy, coffee_reason, time_diff_seconds, diff_threshold_seconds, preemptible, lane_priority };
}
