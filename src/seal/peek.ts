import { INTENT_PATTERN, TOKEN_PATTERN } from '../records/cap.js';
import { decodeCbor } from './cbor-decode.js';
import { Tagged } from './cbor-value.js';
import { isPlainObject } from '../json.js';
import { COSE_SIGN1_TAG } from './cose.js';
import { readSealed, type SealedRead } from './seal.js';

export type SealedPeek =
  | { ok: true; capId: string; intent: string; /** the seal as read, for the bus to check without reading it again */ read?: SealedRead }
  | { ok: false; code: 'bad-cose' | 'bad-cap'; message: string };

/**
 * Reads cap_id and intent from a COSE_Sign1 without checking the signature. Safe: they only
 * route, key and de-duplicate; the bus verifies the same payload bytes before anything runs.
 * A seal the bus would refuse anyway (wrong alg, bad kid …) is still peeked, from its payload
 * alone, so the bus's rejection receipt can say what is wrong.
 */
export function peekSealedCap(bytes: Uint8Array): SealedPeek {
  const read = readSealed(bytes, bytes.length);
  const payload = read.ok ? read.payload : sign1Payload(bytes);
  if (payload === null) return { ok: false, code: 'bad-cose', message: 'body is not a COSE_Sign1 (CBOR tag 18 around [protected, unprotected, payload, signature])' };
  const record = read.ok ? read.record() : decodeCbor(payload, { json: true });
  if (!record.ok || !isPlainObject(record.value)) return { ok: false, code: 'bad-cap', message: 'sealed payload is not a CBOR map (a cap record)' };
  const { cap_id: capId, intent } = record.value;
  if (typeof capId !== 'string' || !TOKEN_PATTERN.test(capId)) return { ok: false, code: 'bad-cap', message: 'sealed cap has no valid cap_id (1-128 of A-Z a-z 0-9 _ -)' };
  if (typeof intent !== 'string' || !INTENT_PATTERN.test(intent)) return { ok: false, code: 'bad-cap', message: 'sealed cap has no valid intent (dot-separated tokens)' };
  return read.ok ? { ok: true, capId, intent, read } : { ok: true, capId, intent };
}

/**
 * The payload of anything shaped as a COSE_Sign1 (tag 18 around four items, the third a byte
 * string). Headers and signature are left to the bus, whose rejection receipt names what is wrong.
 */
function sign1Payload(bytes: Uint8Array): Uint8Array | null {
  const outer = decodeCbor(bytes);
  const parts = outer.ok && outer.value instanceof Tagged && outer.value.tag === COSE_SIGN1_TAG ? outer.value.value : null;
  return Array.isArray(parts) && parts.length === 4 && parts[2] instanceof Uint8Array ? parts[2] : null;
}
