import { INTENT_PATTERN, TOKEN_PATTERN, parseCap, type Cap, type CapContext } from '../../src/records/cap.js';
import { decodeCbor } from '../../src/seal/cbor-decode.js';
import { Tagged } from '../../src/seal/cbor-value.js';
import { COSE_SIGN1_TAG, ownLayout } from '../../src/seal/cose.js';
import { isPlainObject } from '../../src/json.js';
import type { ExecutionResult } from '../../src/records/result.js';
import type { Encoding } from './headers.js';
import { Refused } from './refusal.js';

/** What arrived, in CapBus.submit's shape: a JSON cap (validated here) or sealed COSE bytes (the bus verifies them before it places the cap). */
export type Submission = { cap: Cap } | { sealed: Uint8Array };

export interface Decoded {
  submission: Submission;
  /** for the subject check and the durable receipt lookup, which come before the cap runs */
  capId: string;
  intent: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a message body by its encoding; throws Refused saying what is wrong. */
export function decodeSubmission(data: Uint8Array, encoding: Encoding, ctx: CapContext): Decoded {
  if (encoding === 'cose') return { submission: { sealed: data }, ...peekSealed(data) };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(data));
  } catch (error) {
    throw new Refused('bad-json', `body is not UTF-8 JSON: ${(error as Error).message}`);
  }
  const parsed = parseCap(value, ctx);
  if (!parsed.ok) throw new Refused('bad-cap', `invalid cap: ${parsed.error}`);
  return { submission: { cap: parsed.cap }, capId: parsed.cap.cap_id, intent: parsed.cap.intent };
}

/**
 * Reads cap_id and intent from a COSE_Sign1 without checking the signature. Safe: they only
 * route and key the message; the bus verifies the same payload bytes before anything runs.
 */
function peekSealed(bytes: Uint8Array): { capId: string; intent: string } {
  const record = decodeCbor(ownLayout(bytes)?.payload ?? sign1Payload(bytes), { json: true });
  if (!record.ok || !isPlainObject(record.value)) throw new Refused('bad-cap', 'sealed payload is not a CBOR map (a cap record)');
  const { cap_id: capId, intent } = record.value;
  if (typeof capId !== 'string' || !TOKEN_PATTERN.test(capId)) throw new Refused('bad-cap', 'sealed cap has no valid cap_id (1-128 of A-Z a-z 0-9 _ -)');
  if (typeof intent !== 'string' || !INTENT_PATTERN.test(intent)) throw new Refused('bad-cap', 'sealed cap has no valid intent (dot-separated tokens)');
  return { capId, intent };
}

/**
 * The payload of anything shaped as a COSE_Sign1 (tag 18 around four items, the third a byte
 * string). Headers and signature are left to the bus, whose rejection receipt names what is wrong.
 */
function sign1Payload(bytes: Uint8Array): Uint8Array {
  const outer = decodeCbor(bytes);
  const parts = outer.ok && outer.value instanceof Tagged && outer.value.tag === COSE_SIGN1_TAG ? outer.value.value : null;
  if (!Array.isArray(parts) || parts.length !== 4 || !(parts[2] instanceof Uint8Array)) {
    throw new Refused('bad-cose', 'body is not a COSE_Sign1 (CBOR tag 18 around [protected, unprotected, payload, signature])');
  }
  return parts[2];
}

/** The bus-sealed receipt of a result, if the bus seals. */
export function sealedReceipt(result: ExecutionResult): Uint8Array | null {
  const cose = result.seal?.receipt?.cose;
  return cose ? fromBase64(cose) : null;
}

/** The bus-sealed COSE of the i-th follow-up, if the bus seals: other workers verify it as issued by the bus. */
export function sealedFollowUp(result: ExecutionResult, index: number): Uint8Array | null {
  const cose = result.seal?.spawned[index]?.cose;
  return cose ? fromBase64(cose) : null;
}

const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
