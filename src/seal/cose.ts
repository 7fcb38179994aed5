import { equalBytes, pooledBytes } from '../bytes.js';
import { encodeCbor, Tagged } from './cbor.js';

/**
 * The byte layout of the COSE_Sign1 this bus writes (product.md §3), built and recognized
 * directly: sealing and opening sit on the hot path, and the generic CBOR walk of a structure
 * whose every byte but the key, payload and signature is fixed costs more than the rest of it.
 *
 *   d2 84 | 43 a1 01 27 | a1 04 58 20 <kid:32> | <bstr head> <payload> | 58 40 <signature:64>
 *
 * Anything else that is still a valid COSE_Sign1 (another encoder's choices) goes through the
 * strict generic decoder in seal.ts; both paths must agree, and a property test holds them to it.
 */

export const COSE_SIGN1_TAG = 18;
export const HEADER_ALG = 1;
export const HEADER_KID = 4;
export const ALG_EDDSA = -8;

/** The only protected header this bus writes: {1: -8}. */
export const PROTECTED = encodeCbor(new Map([[HEADER_ALG, ALG_EDDSA]]));

const KID_BYTES = 32;
const SIGNATURE_BYTES = 64;

/** tag 18, array of 4, the protected bstr, then the unprotected map's start up to the kid's bytes */
const SIGN1_PREFIX = prefixOf(encodeCbor(new Tagged(COSE_SIGN1_TAG, [PROTECTED, new Map([[HEADER_KID, new Uint8Array(KID_BYTES)]]), null, null])), KID_BYTES + 2);
/** the bstr head of a 64-byte signature */
const SIGNATURE_HEAD = Uint8Array.of(0x58, SIGNATURE_BYTES);
/** RFC 9052 §4.4 Sig_structure up to its protected header: an array of 4, "Signature1" */
const SIG_STRUCTURE_START = prefixOf(encodeCbor(['Signature1', null, null, null]), 3);
/** external_aad: none, so an empty byte string */
const NO_EXTERNAL_AAD = Uint8Array.of(0x40);
/** the same up to the payload for the protected header {1: -8}, which nearly every seal has */
const SIG_STRUCTURE_PREFIX = join([SIG_STRUCTURE_START, byteStringHead(PROTECTED.length), PROTECTED, NO_EXTERNAL_AAD]);

/** The parts of a COSE_Sign1, as views into its bytes. */
export interface Sign1Parts {
  protectedBytes: Uint8Array;
  kid: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** Where Sig_structures are built: each lives only for the sign or verify call that follows. */
let sigScratch = new Uint8Array(4096);
let sigScratchLent = false;
const SIG_SCRATCH_KEEP = 1 << 20;

/**
 * Builds the RFC 9052 Sig_structure for a payload under the given protected header bytes and
 * hands it to `use`, which must not keep it: the bytes are reused by the next call.
 */
export function withSigStructure<T>(payload: Uint8Array, protectedBytes: Uint8Array, use: (message: Uint8Array) => T): T {
  const prefix = equalBytes(protectedBytes, PROTECTED)
    ? SIG_STRUCTURE_PREFIX
    : join([SIG_STRUCTURE_START, byteStringHead(protectedBytes.length), protectedBytes, NO_EXTERNAL_AAD]);
  const head = byteStringHead(payload.length);
  const length = prefix.length + head.length + payload.length;
  // a caller that re-enters (a backend sealing from inside verify) gets bytes of its own
  if (sigScratchLent || length > SIG_SCRATCH_KEEP) return use(join([prefix, head, payload]));
  if (length > sigScratch.length) sigScratch = new Uint8Array(Math.max(length, 2 * sigScratch.length));
  const buf = sigScratch;
  sigScratchLent = true;
  try {
    putAll(buf, 0, [prefix, head, payload]);
    return use(buf.subarray(0, length));
  } finally {
    sigScratchLent = false;
  }
}

/** A COSE_Sign1 in this bus's layout, and its payload as a view into it. */
export function sign1(kid: Uint8Array, payload: Uint8Array, signature: Uint8Array): { bytes: Uint8Array; payload: Uint8Array } {
  if (kid.length !== KID_BYTES || signature.length !== SIGNATURE_BYTES) {
    throw new RangeError(`COSE_Sign1 needs a ${KID_BYTES}-byte kid and a ${SIGNATURE_BYTES}-byte signature`);
  }
  const head = byteStringHead(payload.length);
  const bytes = join([SIGN1_PREFIX, kid, head, payload, SIGNATURE_HEAD, signature]);
  const payloadAt = SIGN1_PREFIX.length + KID_BYTES + head.length;
  return { bytes, payload: bytes.subarray(payloadAt, payloadAt + payload.length) };
}

/**
 * The parts of `bytes` when they are exactly this bus's layout (payload length in its shortest
 * head, nothing after the signature); undefined for anything else, which the caller then decodes
 * generically.
 */
export function ownLayout(bytes: Uint8Array): Sign1Parts | undefined {
  const kidAt = SIGN1_PREFIX.length;
  const headAt = kidAt + KID_BYTES;
  if (bytes.length < headAt + 1 + SIGNATURE_HEAD.length + SIGNATURE_BYTES) return undefined;
  for (let i = 0; i < kidAt; i++) if (bytes[i] !== SIGN1_PREFIX[i]) return undefined;
  const head = readByteStringHead(bytes, headAt);
  if (head === undefined) return undefined;
  const payloadEnd = head.start + head.length;
  if (payloadEnd + SIGNATURE_HEAD.length + SIGNATURE_BYTES !== bytes.length) return undefined;
  if (bytes[payloadEnd] !== SIGNATURE_HEAD[0] || bytes[payloadEnd + 1] !== SIGNATURE_HEAD[1]) return undefined;
  const protectedAt = 3;
  return {
    protectedBytes: bytes.subarray(protectedAt, protectedAt + PROTECTED.length),
    kid: bytes.subarray(kidAt, headAt),
    payload: bytes.subarray(head.start, payloadEnd),
    signature: bytes.subarray(payloadEnd + SIGNATURE_HEAD.length),
  };
}

/** A byte string's head in its shortest form (RFC 8949 §4.2.1). */
function byteStringHead(length: number): Uint8Array {
  if (length < 24) return Uint8Array.of(0x40 | length);
  if (length < 0x100) return Uint8Array.of(0x58, length);
  if (length < 0x10000) return Uint8Array.of(0x59, length >>> 8, length & 0xff);
  if (length < 0x100000000) return Uint8Array.of(0x5a, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  throw new RangeError(`payload of ${length} bytes is too large to seal`);
}

/** Reads a byte string head written in its shortest form; undefined for any other byte there. */
function readByteStringHead(bytes: Uint8Array, at: number): { start: number; length: number } | undefined {
  const initial = bytes[at]!;
  if (initial >>> 5 !== 2) return undefined;
  const info = initial & 0x1f;
  if (info < 24) return { start: at + 1, length: info };
  if (info === 24 && bytes[at + 1]! >= 24) return { start: at + 2, length: bytes[at + 1]! };
  if (info === 25) {
    const length = (bytes[at + 1]! << 8) | bytes[at + 2]!;
    return length >= 0x100 ? { start: at + 3, length } : undefined;
  }
  if (info === 26) {
    const length = (bytes[at + 1]! * 0x1000000 + ((bytes[at + 2]! << 16) | (bytes[at + 3]! << 8) | bytes[at + 4]!)) >>> 0;
    return length >= 0x10000 ? { start: at + 5, length } : undefined;
  }
  return undefined;
}

/** `encoded` without its last `drop` bytes: the fixed start of a structure whose tail varies. */
function prefixOf(encoded: Uint8Array, drop: number): Uint8Array {
  return encoded.slice(0, encoded.length - drop);
}


function join(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (let i = 0; i < parts.length; i++) length += parts[i]!.length;
  const out = pooledBytes(length);
  putAll(out, 0, parts);
  return out;
}


function putAll(out: Uint8Array, at: number, parts: readonly Uint8Array[]): void {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    // TypedArray#set costs a native call; heads and prefixes are a few bytes
    if (part.length <= 16) for (let j = 0; j < part.length; j++) out[at + j] = part[j]!;
    else out.set(part, at);
    at += part.length;
  }
}
