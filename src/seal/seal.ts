import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { equalBytes, hex } from '../bytes.js';
import { decodeCbor, describeCbor } from './cbor-decode.js';
import { withCbor } from './cbor-encode.js';
import type { CborValue } from './cbor-value.js';
import { PROTECTED, readSign1, sign1, SIGNATURE_BYTES, withSigStructure } from './cose.js';

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
      /**
       * The payload's record when its signature is what failed: decoded only so the refusal can
       * name what it refuses (the cap's fields in its receipt), never to act on.
       */
      unverified?: unknown;
    };

export interface OpenOptions {
  maxBytes?: number;
  backend?: Ed25519Backend;
}

export const DEFAULT_MAX_SEALED_BYTES = 1_048_576;

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

  const parts = readSign1(bytes);
  if ('ok' in parts) return parts;
  const { protectedBytes, kid, payload, signature } = parts;
  const located = { payload, content_hash: contentHash(payload, backend) };
  const kid_text = keyText(kid);

  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    return signatureRefusal('bad-signature-length', `signature must be 64 bytes, found ${describeCbor(signature)}`, located);
  }
  let valid: boolean;
  try {
    valid = withSigStructure(payload, protectedBytes, (message) => backend.verify(signature, message, kid));
  } catch (err) {
    return signatureRefusal('bad-signature', `${backend.name} could not check the signature: ${String(err)}`, located);
  }
  if (!valid) return signatureRefusal('bad-signature', `Ed25519 signature does not verify with kid ${kid_text}`, located);

  const record = decodeCbor(payload, { json: true });
  if (!record.ok) return refuse('bad-payload', `payload is not JSON-model CBOR: ${record.reason}`, located);
  return { ok: true, record: record.value, payload, content_hash: located.content_hash, kid, kid_text };
}

type Refusal = Extract<Opened, { ok: false }>;

function refuse(code: string, reason: string, located?: Located): Refusal {
  return { ok: false, code, reason, ...located };
}

type Located = { payload: Uint8Array; content_hash: string };

/** A refusal about the signature: it carries the payload's record, when it decodes, so the refusal can name what it refuses. */
function signatureRefusal(code: string, reason: string, { payload, content_hash }: Located): Refusal {
  const decoded = decodeCbor(payload, { json: true });
  return decoded.ok ? { ok: false, code, reason, payload, content_hash, unverified: decoded.value } : { ok: false, code, reason, payload, content_hash };
}

function describeJs(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
