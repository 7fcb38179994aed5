import { parseCap, type CapContext } from '../../src/records/cap.js';
import { peekSealedCap } from '../../src/seal/peek.js';
import type { ExecutionResult } from '../../src/records/result.js';
import type { Submission } from '../../src/pipeline/phases.js';
import type { Encoding } from './headers.js';
import { Refused } from './refusal.js';

/** What arrived, in CapBus.submit's shape: a JSON cap (validated here) or sealed COSE bytes (the bus verifies them before it places the cap). */
export type { Submission };

export interface Decoded {
  submission: Submission;
  /** for the subject check and the durable receipt lookup, which come before the cap runs */
  capId: string;
  intent: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a message body by its encoding; throws Refused saying what is wrong. */
export function decodeSubmission(data: Uint8Array, encoding: Encoding, ctx: CapContext): Decoded {
  if (encoding === 'cose') {
    const peek = peekSealedCap(data);
    if (!peek.ok) throw new Refused(peek.code, peek.message);
    // the bus checks the seal from this reading: a message is decoded once
    return { submission: peek.read ? { sealed: data, read: peek.read } : { sealed: data }, capId: peek.capId, intent: peek.intent };
  }
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
