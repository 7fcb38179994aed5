import { equalBytes, pooledBytes } from '../bytes.js';
import { decodeCbor, describeCbor, uint32 } from './cbor-decode.js';
import { encodeCbor } from './cbor-encode.js';
import { Tagged, type CborValue } from './cbor-value.js';
import { headLength, putHead, Scratch } from './cbor-writer.js';

/**
 * COSE_Sign1 (RFC 9052, tag 18) as this bus writes and reads it. Two reading paths: the byte
 * layout this bus writes (product.md §3), recognized directly, because sealing and opening sit on
 * the hot path and the generic CBOR walk of a structure whose every byte but the key, payload and
 * signature is fixed costs more than the rest of it:
 *
 *   d2 84 | 43 a1 01 27 | a1 04 58 20 <kid:32> | <bstr head> <payload> | 58 40 <signature:64>
 *
 * and anything else that is still a valid COSE_Sign1 (another encoder's choices) through the
 * strict generic decoder. Both paths must agree, and a property test holds them to it.
 */

export const COSE_SIGN1_TAG = 18;
const HEADER_ALG = 1;
const HEADER_CRIT = 2;
const HEADER_KID = 4;
const ALG_EDDSA = -8;

/** Names for the algorithms a confused sender is likely to use, so the reason says what was found. */
const ALG_NAMES = new Map<CborValue, string>([
  [-7, 'ES256'],
  [-19, 'Ed25519'],
  [-35, 'ES384'],
  [-36, 'ES512'],
  [-37, 'PS256'],
  [-257, 'RS256'],
  [5, 'HMAC 256/256'],
]);

/** Neighbouring COSE structures, named when one arrives instead of a COSE_Sign1. */
const COSE_TAG_NAMES = new Map<number, string>([
  [16, 'COSE_Encrypt0'],
  [17, 'COSE_Mac0'],
  [96, 'COSE_Encrypt'],
  [97, 'COSE_Mac'],
  [98, 'COSE_Sign'],
]);

/** The only protected header this bus writes: {1: -8}. */
export const PROTECTED = encodeCbor(new Map([[HEADER_ALG, ALG_EDDSA]]));

/** an Ed25519 public key, which is the kid */
const KID_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** tag 18, array of 4, the protected bstr, then the unprotected map's start up to the kid's bytes */
const SIGN1_PREFIX = prefixOf(encodeCbor(new Tagged(COSE_SIGN1_TAG, [PROTECTED, new Map([[HEADER_KID, new Uint8Array(KID_BYTES)]]), null, null])), KID_BYTES + 2);
/** the bstr head of a 64-byte signature */
const SIGNATURE_HEAD = Uint8Array.of(0x58, SIGNATURE_BYTES);
/** RFC 9052 §4.4 Sig_structure up to its protected header: an array of 4, "Signature1" */
const SIG_STRUCTURE_START = prefixOf(encodeCbor(['Signature1', null, null, null]), 3);
/** external_aad: none, so an empty byte string */
const NO_EXTERNAL_AAD = Uint8Array.of(0x40);
/** the Sig_structure up to the payload for the protected header {1: -8}, which nearly every seal has */
const SIG_STRUCTURE_PREFIX = prefixOf(encodeCbor(['Signature1', PROTECTED, new Uint8Array(0), null]), 1);

/** The parts of a COSE_Sign1, as views into its bytes. */
interface Sign1Parts {
  protectedBytes: Uint8Array;
  kid: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** What is wrong with bytes that are not a COSE_Sign1 this bus accepts. */
interface CoseRefusal {
  ok: false;
  code: string;
  reason: string;
}

/** A read COSE_Sign1; the signature is passed on whatever it is, so its length can be refused once the payload is known. */
type Sign1Read = (Omit<Sign1Parts, 'signature'> & { signature: CborValue }) | CoseRefusal;

/** Where Sig_structures are built: each lives only for the sign or verify call that follows. */
const sigScratch = new Scratch(4096);

/**
 * Builds the RFC 9052 Sig_structure for a payload under the given protected header bytes and
 * hands it to `use`, which must not keep it: the bytes are reused by the next call.
 */
export function withSigStructure<T>(payload: Uint8Array, protectedBytes: Uint8Array, use: (message: Uint8Array) => T): T {
  const length = sealableLength(payload);
  const w = sigScratch.take();
  try {
    if (equalBytes(protectedBytes, PROTECTED)) w.bytes(SIG_STRUCTURE_PREFIX);
    else {
      w.bytes(SIG_STRUCTURE_START);
      w.head(2, protectedBytes.length);
      w.bytes(protectedBytes);
      w.bytes(NO_EXTERNAL_AAD);
    }
    w.head(2, length);
    w.bytes(payload);
    return use(w.written());
  } finally {
    sigScratch.give(w);
  }
}

/** A COSE_Sign1 in this bus's layout, and its payload as a view into it. */
export function sign1(kid: Uint8Array, payload: Uint8Array, signature: Uint8Array): { bytes: Uint8Array; payload: Uint8Array } {
  if (kid.length !== KID_BYTES || signature.length !== SIGNATURE_BYTES) {
    throw new RangeError(`COSE_Sign1 needs a ${KID_BYTES}-byte kid and a ${SIGNATURE_BYTES}-byte signature`);
  }
  const length = sealableLength(payload);
  const headAt = SIGN1_PREFIX.length + KID_BYTES;
  const payloadAt = headAt + headLength(length);
  const bytes = pooledBytes(payloadAt + length + SIGNATURE_HEAD.length + SIGNATURE_BYTES);
  putAll(bytes, 0, [SIGN1_PREFIX, kid]);
  putHead(bytes, headAt, 2, length);
  putAll(bytes, payloadAt, [payload, SIGNATURE_HEAD, signature]);
  return { bytes, payload: bytes.subarray(payloadAt, payloadAt + length) };
}

/** The parts of a COSE_Sign1 (this bus's layout directly, anything else by a full strict decode), or what is wrong with it. */
export function readSign1(bytes: Uint8Array): Sign1Read {
  return ownLayout(bytes) ?? decodeSign1(bytes);
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

/**
 * The parts of any valid COSE_Sign1 by a full strict decode, or what is wrong with it. The
 * signature is passed on whatever it is, so its length can be refused once the payload is known.
 */
export function decodeSign1(bytes: Uint8Array): Sign1Read {
  const outer = decodeCbor(bytes);
  if (!outer.ok) {
    if (outer.code === 'trailing-bytes') return refuse('trailing-bytes', `sealed cap has ${outer.reason}`);
    return refuse('not-cbor', `not CBOR: ${outer.reason}`);
  }
  const tagged = outer.value;
  if (!(tagged instanceof Tagged)) return refuse('untagged', `expected CBOR tag 18 (COSE_Sign1), found ${describeCbor(tagged)} without a tag`);
  if (tagged.tag !== COSE_SIGN1_TAG) {
    const name = COSE_TAG_NAMES.get(tagged.tag);
    return refuse('wrong-tag', `expected CBOR tag 18 (COSE_Sign1), found tag ${tagged.tag}${name ? ` (${name})` : ''}`);
  }
  const parts = tagged.value;
  if (!Array.isArray(parts) || parts.length !== 4) {
    return refuse('bad-structure', `COSE_Sign1 must be an array of 4 items, found ${describeCbor(parts)}`);
  }
  const [protectedBytes, unprotected, payload, signature] = parts as [CborValue, CborValue, CborValue, CborValue];

  if (!(protectedBytes instanceof Uint8Array)) {
    return refuse('protected-not-bstr', `protected header must be a byte string, found ${describeCbor(protectedBytes)}`);
  }
  // RFC 9052 §3: a zero-length protected header stands for the empty map.
  const headers = protectedBytes.length === 0 ? { ok: true as const, value: {} } : decodeCbor(protectedBytes);
  if (!headers.ok) return refuse('protected-not-map', `protected header is not CBOR: ${headers.reason}`);
  if (!isMap(headers.value)) return refuse('protected-not-map', `protected header must be a CBOR map, found ${describeCbor(headers.value)}`);
  const alg = label(headers.value, HEADER_ALG);
  if (alg === undefined) return refuse('missing-alg', 'protected header has no alg (label 1); expected -8 (EdDSA)');
  if (alg !== ALG_EDDSA) {
    const name = ALG_NAMES.get(alg);
    const found = typeof alg === 'number' || typeof alg === 'string' ? JSON.stringify(alg) : describeCbor(alg);
    return refuse('wrong-alg', `protected header alg is ${found}${name ? ` (${name})` : ''}; only -8 (EdDSA) is accepted`);
  }
  if (label(headers.value, HEADER_CRIT) !== undefined) {
    return refuse('unsupported-crit', 'protected header lists critical headers (label 2), which this bus does not process');
  }

  if (!isMap(unprotected)) return refuse('bad-unprotected', `unprotected header must be a map, found ${describeCbor(unprotected)}`);
  const kid = label(unprotected, HEADER_KID);
  if (kid === undefined) return refuse('missing-kid', 'unprotected header has no kid (label 4)');
  if (!(kid instanceof Uint8Array) || kid.length !== KID_BYTES) {
    return refuse('bad-kid', `kid must be a 32-byte Ed25519 public key, found ${describeCbor(kid)}`);
  }

  if (!(payload instanceof Uint8Array)) {
    const detached = payload === null ? ' (detached payloads are not supported)' : '';
    return refuse('payload-not-bstr', `payload must be a byte string, found ${describeCbor(payload)}${detached}`);
  }
  return { protectedBytes, kid, payload, signature };
}

function refuse(code: string, reason: string): CoseRefusal {
  return { ok: false, code, reason };
}

function isMap(value: CborValue): value is Map<number | string, CborValue> | { [key: string]: CborValue } {
  if (value instanceof Map) return true;
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Tagged);
}

/** An integer header label; maps with only text keys decode to objects and so carry none. */
function label(headers: Map<number | string, CborValue> | { [key: string]: CborValue }, key: number): CborValue | undefined {
  return headers instanceof Map ? headers.get(key) : undefined;
}

/** The payload's length, which a byte string head can carry. */
function sealableLength(payload: Uint8Array): number {
  if (payload.length >= 0x100000000) throw new RangeError(`payload of ${payload.length} bytes is too large to seal`);
  return payload.length;
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
    const length = uint32(bytes, at + 1);
    return length >= 0x10000 ? { start: at + 5, length } : undefined;
  }
  return undefined;
}

/** `encoded` without its last `drop` bytes: the fixed start of a structure whose tail varies. */
function prefixOf(encoded: Uint8Array, drop: number): Uint8Array {
  return encoded.slice(0, encoded.length - drop);
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
