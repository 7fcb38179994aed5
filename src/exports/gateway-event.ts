import { z } from 'zod';
import { ATTESTATION_LAYERS, ROUTE_CLASSES } from '../records/cap.js';
import { sortedJson } from '../json.js';
import { laneFactsShape } from '../policy/lane.js';
import type { ExecutionResult } from '../records/result.js';
import { laneFactsOf, type UsageEvent } from '../records/usage-event.js';

export const GATEWAY_CONTRACT = 'tibet-cap-bus.gateway-event.v1';
export const GATEWAY_ACTOR = 'jis:tibet-cap-bus';


const nullableString = z.string().nullable();

/**
 * The record this project emits (behaviour.md §9). Types describe what is emitted; the contract
 * validator (validator.ts) is what decides acceptance, and it is stricter in places (it requires
 * provider and model, which a cap outside the agent/service/factory families leaves null).
 */
export const GatewayEventSchema = z
  .looseObject({
    event_id: z.string(),
    observation_layer: z.literal('tibet-gateway'),
    timestamp: z.string(),
    operation_id: z.string(),
    thread_id: z.string(),
    request_id: z.string(),
    envelope_id: z.string(),
    token_id: z.string(),
    parent_id: nullableString,
    agent_id: z.string(),
    actor_aint: nullableString,
    actor_jis_pubkey: nullableString,
    intent: z.string(),
    method: z.string(),
    target_url: nullableString,
    provider: nullableString,
    model: nullableString,
    payload: z.record(z.string(), z.unknown()),
    route_class: z.enum(ROUTE_CLASSES),
    transport: z.string(),
    surface: z.string(),
    ...laneFactsShape,
    gateway_actor: z.string(),
    status: z.string(),
    verified: z.boolean(),
    latency_ms: z.number(),
    content_hash: nullableString.describe('sha256:<hex> of the sealed cap; null when the cap was not sealed'),
    attestation_layer: z.enum(ATTESTATION_LAYERS),
    attestation_ref: nullableString,
    _emitter: z.string(),
  })
  .meta({
    id: 'GatewayEvent',
    title: `GatewayEvent (${GATEWAY_CONTRACT})`,
    description: 'One executed cap as a tibet-gateway event record; unknown extra fields are allowed.',
  });

export type GatewayEvent = z.output<typeof GatewayEventSchema>;

/** One gateway record from one cap-executed usage event of `result`. */
function fromUsageEvent(result: ExecutionResult, event: UsageEvent): GatewayEvent {
  const cap = result.distributed.cap;
  const seal = result.seal?.cap;
  // a sealed cap's key and hash are facts the bus checked; they replace what the cap claimed
  const sealed = seal?.kid != null && seal.content_hash !== null;
  const attestationRef = sealed ? seal.content_hash : event.attestation_ref;
  return {
    event_id: event.event_id,
    observation_layer: 'tibet-gateway',
    timestamp: event.timestamp,
    operation_id: event.cap_id,
    thread_id: event.cap_id,
    request_id: event.cap_id,
    envelope_id: event.cap_id,
    token_id: attestationRef ?? event.event_id,
    parent_id: cap.parent_id,
    agent_id: event.actor_aint ?? event.actor_id,
    actor_aint: event.actor_aint,
    actor_jis_pubkey: sealed ? seal.kid : event.actor_jis_pubkey,
    intent: event.intent,
    method: 'POST',
    target_url: event.target_url,
    provider: event.provider,
    model: event.model,
    // a cap always carries a payload; an empty one is replaced so consumers still see what was asked
    payload: Object.keys(cap.payload).length > 0 ? cap.payload : { intent: event.intent },
    route_class: event.route_class,
    transport: event.transport,
    surface: event.surface,
    ...laneFactsOf(event),
    gateway_actor: GATEWAY_ACTOR,
    status: event.status,
    verified: event.verified,
    latency_ms: event.latency_ms,
    content_hash: seal?.content_hash ?? null,
    attestation_layer: event.attestation_layer,
    attestation_ref: attestationRef,
    _emitter: event.emitter,
  };
}

const isExecuted = (event: UsageEvent) => event.event_type === 'cap-executed';

/** The gateway record of one result (its cap-executed event). */
export function toGatewayEvent(result: ExecutionResult): GatewayEvent {
  const event = result.usage_events.find(isExecuted);
  if (!event) throw new Error(`result of ${result.distributed.cap.cap_id} has no cap-executed usage event`);
  return fromUsageEvent(result, event);
}

/** The gateway records of one result: one per cap-executed usage event. */
export function gatewayEventsOf(result: ExecutionResult): GatewayEvent[] {
  return result.usage_events.filter(isExecuted).map((event) => fromUsageEvent(result, event));
}

/** behaviour.md §9: one record per cap-executed usage event, in result order. */
export function gatewayEvents(results: readonly ExecutionResult[]): GatewayEvent[] {
  return results.flatMap(gatewayEventsOf);
}

/** JSONL: one JSON object per line, keys sorted at every depth, newline-terminated. */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((record) => sortedJson(record) + '\n').join('');
}
