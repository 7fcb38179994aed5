import { z } from 'zod';
import { isoTimestamp, parseIsoTimestamp, type Clock, type IdSource } from '../clock.js';
import { describePath, readJsonData } from '../json-data.js';

export const ROUTE_CLASSES = ['cluster', 'direct', 'local', 'relay', 'triage'] as const;
export const ATTESTATION_LAYERS = ['jis', 'none', 'self-signed'] as const;

/** Ids travel in NATS subjects (`capbus.receipt.<cap_id>`), so they are single subject tokens. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** Intents are dotted subject tokens: `agent.tool.high`. */
export const INTENT_PATTERN = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+){0,31}$/;

/** behaviour.md §1: what a field is when a sender leaves it out (derived defaults: see completeCap). */
const CAP_DEFAULTS = {
  parent_id: null,
  trust_basis: 'jis',
  route_class: 'direct',
  executor_class: 'default',
  lane_hint: null,
  object_ref: null,
  actor_aint: null,
  actor_jis_pubkey: null,
  attestation_layer: 'jis',
  attestation_ref: null,
} as const;

const nullableString = z.string().nullable().default(null);
const token = (what: string) => z.string().regex(TOKEN_PATTERN, `${what} must be 1-128 of A-Z a-z 0-9 _ -`);

export const CapSchema = z
  .object({
    cap_id: token('cap_id'),
    actor_id: z.string().min(1, 'actor_id must not be empty'),
    intent: z.string().max(512).regex(INTENT_PATTERN, 'intent must be dot-separated tokens of A-Z a-z 0-9 _ -'),
    authority_ref: z.string().min(1, 'authority_ref must not be empty'),
    payload: z.record(z.string(), z.unknown()),
    created_at: z.string().refine((t) => parseIsoTimestamp(t) !== null, 'created_at must be an ISO-8601 timestamp'),
    parent_id: token('parent_id').nullable().default(CAP_DEFAULTS.parent_id),
    trust_basis: z.string().default(CAP_DEFAULTS.trust_basis),
    route_class: z.enum(ROUTE_CLASSES).default(CAP_DEFAULTS.route_class),
    executor_class: z.string().regex(TOKEN_PATTERN, 'executor_class must be 1-128 of A-Z a-z 0-9 _ -').default(CAP_DEFAULTS.executor_class),
    lane_hint: nullableString,
    object_ref: nullableString,
    actor_aint: nullableString,
    actor_jis_pubkey: nullableString,
    attestation_layer: z.enum(ATTESTATION_LAYERS).default(CAP_DEFAULTS.attestation_layer),
    attestation_ref: nullableString,
  })
  .strict()
  .meta({ id: 'Cap', title: 'Cap', description: 'The sealed instruction unit.' });

export type Cap = z.output<typeof CapSchema>;

/** What a sender may hand in: everything with a default may be left out, ids and times too. */
export const CapInputSchema = CapSchema.extend({
  cap_id: CapSchema.shape.cap_id.optional(),
  created_at: CapSchema.shape.created_at.optional(),
});
export type CapInput = z.input<typeof CapInputSchema>;

export interface CapContext {
  clock: Clock;
  ids: IdSource;
}

/** Fills the derived defaults of behaviour.md §1 (cap_id, created_at, actor_aint, attestation_ref). */
export function completeCap(input: z.output<typeof CapInputSchema>, ctx: CapContext): Cap {
  const cap_id = input.cap_id ?? `cap_${ctx.ids.hex16()}`;
  // Listed in record order so every cap prints the same way whatever built it.
  return {
    cap_id,
    actor_id: input.actor_id,
    intent: input.intent,
    authority_ref: input.authority_ref,
    payload: input.payload,
    created_at: input.created_at ?? isoTimestamp(ctx.clock.now()),
    parent_id: input.parent_id,
    trust_basis: input.trust_basis,
    route_class: input.route_class,
    executor_class: input.executor_class,
    lane_hint: input.lane_hint,
    object_ref: input.object_ref,
    actor_aint: input.actor_aint ?? (input.actor_id.endsWith('.aint') ? input.actor_id : null),
    actor_jis_pubkey: input.actor_jis_pubkey,
    attestation_layer: input.attestation_layer,
    attestation_ref: input.attestation_ref ?? (input.attestation_layer === 'jis' ? `attest:${cap_id}` : null),
  };
}

export type CapParse = { ok: true; cap: Cap } | { ok: false; error: string };

/** Validates untrusted input into a complete cap; the error names every offending field. */
export function parseCap(input: unknown, ctx: CapContext): CapParse {
  const parsed = parseCapInput(input);
  return parsed.ok ? { ok: true, cap: completeCap(parsed.input, ctx) } : parsed;
}

export type CapInputParse = { ok: true; input: z.output<typeof CapInputSchema> } | { ok: false; error: string };

/**
 * Every entry point's check of an outside cap: JSON data within the limits of product.md §6
 * (read once into a copy), then the schema. Never throws.
 */
export function parseCapInput(input: unknown): CapInputParse {
  const data = readJsonData(input);
  if (!data.ok) return data;
  const parsed = CapInputSchema.safeParse(data.value);
  return parsed.success ? { ok: true, input: parsed.data } : { ok: false, error: describeIssues(parsed.error) };
}

/** Builds a cap in code, trusting the caller's types (the hot path of follow-ups and demos). */
export function makeCap(input: CapInput, ctx: CapContext): Cap {
  const d = CAP_DEFAULTS;
  // an object literal, not a spread of CAP_DEFAULTS: V8 gives the literal one fixed shape, and
  // the spread made this hot path ~3x slower
  return completeCap(
    {
      parent_id: d.parent_id,
      trust_basis: d.trust_basis,
      route_class: d.route_class,
      executor_class: d.executor_class,
      lane_hint: d.lane_hint,
      object_ref: d.object_ref,
      actor_aint: d.actor_aint,
      actor_jis_pubkey: d.actor_jis_pubkey,
      attestation_layer: d.attestation_layer,
      attestation_ref: d.attestation_ref,
      ...input,
    },
    ctx,
  );
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = describePath(issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)));
      if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
      // zod omits the input from issues by default; its message says when nothing was there
      if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `${where}: missing required field`;
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}
