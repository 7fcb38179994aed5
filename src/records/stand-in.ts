import { CapSchema, INTENT_PATTERN, TOKEN_PATTERN, makeCap, type Cap, type CapContext } from './cap.js';

const CAP_FIELDS = Object.keys(CapSchema.shape);
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The cap's text fields as far as they can be read, so a refusal's receipt can name them. Read
 * defensively: the record may be a hostile library value (getters that throw, a Proxy).
 */
export function partialCap(record: unknown): Record<string, string> | undefined {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const out: Record<string, string> = {};
  for (const field of CAP_FIELDS) {
    let value: unknown;
    try {
      value = Object.hasOwn(record, field) ? (record as Record<string, unknown>)[field] : undefined;
    } catch {
      continue;
    }
    if (typeof value === 'string' && value.length <= 512 && !LONE_SURROGATE.test(value)) out[field] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The cap a refused submission is recorded as: whatever fields could be read and are well formed,
 * placeholders for the rest. It is never executed; it exists so the refusal has a receipt.
 */
export function standInCap(partial: Record<string, string>, ctx: CapContext): Cap {
  const ok = (field: string, pattern: RegExp) => (partial[field] !== undefined && pattern.test(partial[field]) ? partial[field] : undefined);
  const capId = ok('cap_id', TOKEN_PATTERN);
  const executorClass = ok('executor_class', TOKEN_PATTERN);
  return makeCap(
    {
      ...(capId ? { cap_id: capId } : {}),
      ...(executorClass ? { executor_class: executorClass } : {}),
      actor_id: partial.actor_id || 'unverified-sender',
      intent: ok('intent', INTENT_PATTERN) ?? 'unverified.cap',
      authority_ref: partial.authority_ref || 'unverified',
      payload: {},
      attestation_layer: 'none',
    },
    ctx,
  );
}
