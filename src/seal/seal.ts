import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { equalBytes, hex } from '../bytes.js';
import { decodeCbor, describeCbor, Tagged, withCbor, type CborValue } from './cbor.js';
import { ALG_EDDSA, COSE_SIGN1_TAG, HEADER_ALG, HEADER_KID, PROTECTED, ownLayout, sign1, withSigStructure, type Sign1Parts } from './cose.js';

/**
 * Sealing per product.md §3: a record becomes a COSE_Sign1 (RFC 9052, tag 18) signed with
 * Ed25519; the payload is the record as deterministic CBOR, so equal records seal to equal bytes.
 */

/** noble's synchronous API needs a SHA-512 wired in; done on first use, so importing has no side effect. */
function noble(): typeof ed {
  ed.hashes.sha512 ??= sha512;
  return ed;
}

/**
 * One crypto implementation for sealing: noble (portable) here, node:crypto in adapters/node.
 * SHA-256 comes from @noble/hashes unless the backend brings a faster one of its own.
 */
export interface Ed25519Backend {
  name: string;
  publicKey(seed: Uint8Array): Uint8Array;
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** lowercase hex SHA-256, when the backend has a faster one than @noble/hashes */
  sha256Hex?(data: Uint8Array): string;
}

export const nobleBackend: Ed25519Backend = {
  name: 'noble',
  publicKey: (seed) => noble().getPublicKey(seed),
  sign: (seed, message) => noble().sign(message, seed),
  verify(signature, message, publicKey) {
    try {
      // RFC 8032 rules rather than ZIP-215, to accept exactly what OpenSSL (node:crypto) accepts.
      return noble().verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};

/** A 32-byte Ed25519 seed and the public key derived from it. */
export interface SigningKey {
  seed: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * A sealed record. `bytes` may share its ArrayBuffer with other small arrays (see pooledBytes),
 * so read it through its byteOffset and byteLength, as with any view.
 */
export interface Sealed {
  /** The tagged COSE_Sign1 bytes. */
  bytes: Uint8Array;
  /** The deterministic CBOR of the record, as signed: a view into `bytes`. */
  payload: Uint8Array;
  content_hash: string;
  kid: Uint8Array;
}

export type Opened =
  | { ok: true; record: unknown; payload: Uint8Array; content_hash: string; kid: Uint8Array; kid_text: string }
  | {
      ok: false;
      code: string;
      reason: string;
      /** Present once the payload could be located, so a rejection can still name what it rejects. */
      payload?: Uint8Array;
      content_hash?: string;
    };

export interface OpenOptions {
  maxBytes?: number;
  backend?: Ed25519Backend;
}

export const DEFAULT_MAX_SEALED_BYTES = 1_048_576;

const HEADER_CRIT = 2;
const ED25519_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;

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

export function contentHash(payload: Uint8Array, backend?: Ed25519Backend): string {
  return `sha256:${backend?.sha256Hex ? backend.sha256Hex(payload) : hex(sha256(payload))}`;
}

/** `ed25519:<hex>`, the text form of a public key in caps, keyrings and key files. */
export function keyText(publicKey: Uint8Array): string {
  if (lastKey !== undefined && equalBytes(lastKey.bytes, publicKey)) return lastKey.text;
  const text = `ed25519:${hex(publicKey)}`;
  // most seals in a row come from one sender: remember the last key's text
  lastKey = { bytes: publicKey.slice(), text };
  return text;
}

let lastKey: { bytes: Uint8Array; text: string } | undefined;

/**
 * Seals a record. Throws a TypeError only for values CBOR cannot carry (see encodeCbor).
 * The key's publicKey is trusted to match its seed; keys.ts builds keys that do.
 */
export function sealRecord(record: Record<string, unknown>, key: SigningKey, backend: Ed25519Backend = nobleBackend): Sealed {
  return withCbor(record as CborValue, (encoded) => {
    const signature = withSigStructure(encoded, PROTECTED, (message) => backend.sign(key.seed, message));
    const { bytes, payload } = sign1(key.publicKey, encoded, signature);
    return { bytes, payload, content_hash: contentHash(payload, backend), kid: key.publicKey };
  });
}

/**
 * Checks a COSE_Sign1 and returns its record, or the first thing wrong with it. Never throws.
 * The returned payload and kid are views into `bytes`.
 */
export function openSealed(bytes: Uint8Array, options: OpenOptions = {}): Opened {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SEALED_BYTES;
  const backend = options.backend ?? nobleBackend;
  if (!(bytes instanceof Uint8Array)) return refuse('not-bytes', `expected bytes (a Uint8Array), got ${describeJs(bytes)}`);
  if (bytes.length === 0) return refuse('empty', 'sealed cap is empty (0 bytes)');
  if (bytes.length > maxBytes) return refuse('too-large', `sealed cap is ${bytes.length} bytes, over the limit of ${maxBytes} bytes`);

  const parts = ownLayout(bytes) ?? decodeSign1(bytes);
  if ('ok' in parts) return parts;
  const { protectedBytes, kid, payload, signature } = parts;
  const located = { payload, content_hash: contentHash(payload, backend) };
  const kid_text = keyText(kid);

  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_BYTES) {
    return refuse('bad-signature-length', `signature must be 64 bytes, found ${describeCbor(signature)}`, located);
  }
  let valid: boolean;
  try {
    valid = withSigStructure(payload, protectedBytes, (message) => backend.verify(signature, message, kid));
  } catch (err) {
    return refuse('bad-signature', `${backend.name} could not check the signature: ${String(err)}`, located);
  }
  if (!valid) return refuse('bad-signature', `Ed25519 signature does not verify with kid ${kid_text}`, located);

  const record = decodeCbor(payload, { json: true });
  if (!record.ok) return refuse('bad-payload', `payload is not JSON-model CBOR: ${record.reason}`, located);
  return { ok: true, record: record.value, payload, content_hash: located.content_hash, kid, kid_text };
}

type Refusal = Extract<Opened, { ok: false }>;

/**
 * The parts of any valid COSE_Sign1 by a full strict decode, or what is wrong with it. The
 * signature is passed on whatever it is, so its length can be refused once the payload is known.
 */
export function decodeSign1(bytes: Uint8Array): (Omit<Sign1Parts, 'signature'> & { signature: CborValue }) | Refusal {
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
  if (!(kid instanceof Uint8Array) || kid.length !== ED25519_KEY_BYTES) {
    return refuse('bad-kid', `kid must be a 32-byte Ed25519 public key, found ${describeCbor(kid)}`);
  }

  if (!(payload instanceof Uint8Array)) {
    const detached = payload === null ? ' (detached payloads are not supported)' : '';
    return refuse('payload-not-bstr', `payload must be a byte string, found ${describeCbor(payload)}${detached}`);
  }
  return { protectedBytes, kid, payload, signature };
}

function refuse(code: string, reason: string, located?: { payload: Uint8Array; content_hash: string }): Refusal {
  return { ok: false, code, reason, ...located };
}

function isMap(value: CborValue): value is Map<number | string, CborValue> | { [key: string]: CborValue } {
  if (value instanceof Map) return true;
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Tagged);
}

/** An integer header label; maps with only text keys decode to objects and so carry none. */
function label(headers: Map<number | string, CborValue> | { [key: string]: CborValue }, key: number): CborValue | undefined {
  return headers instanceof Map ? headers.get(key) : undefined;
}

function describeJs(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
