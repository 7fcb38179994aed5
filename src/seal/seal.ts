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
  /** the same signatures computed off the calling thread (a thread pool), where the runtime has one */
  offload?: Ed25519Offload;
}

/**
 * Ed25519 off the calling thread: a bus with many caps in flight keeps its own thread for the
 * pipeline while other cores sign and verify. A failure rejects the promise; callers turn that
 * into the cap's refusal (verify) or sign again on their own thread (sign).
 */
export interface Ed25519Offload {
  sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
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
 * Seals a record with the signature computed off the calling thread: the content hash is known
 * at once (follow-ups and receipts link to it), the COSE bytes once the signature is in them.
 * A failed offloaded signature is computed again here, so a seal is never lost to the pool.
 */
export function sealRecordOffloaded(
  record: Record<string, unknown>,
  key: SigningKey,
  backend: Ed25519Backend & { offload: Ed25519Offload },
): { content_hash: string; bytes: Promise<Uint8Array> } {
  return withCbor(record as CborValue, (encoded) => {
    const { bytes, payload } = sign1(key.publicKey, encoded, UNSIGNED);
    // the pool copies its input when the job is made, so the scratch Sig_structure may be reused after this call
    const signing = withSigStructure(payload, PROTECTED, (message) => backend.offload.sign(key.seed, message));
    const signed = signing
      .catch(() => withSigStructure(payload, PROTECTED, (message) => backend.sign(key.seed, message)))
      .then((signature) => {
        bytes.set(signature, bytes.length - SIGNATURE_BYTES);
        return bytes;
      });
    return { content_hash: contentHash(payload, backend), bytes: signed };
  });
}

/** the signature's place in a seal whose signature is still being computed */
const UNSIGNED = new Uint8Array(SIGNATURE_BYTES);

/**
 * Checks a COSE_Sign1 and returns its record, or the first thing wrong with it. Never throws.
 * The returned payload and kid are views into `bytes`. `read`: what readSealed already read of
 * these very bytes (a transport that routed on them), so they are not read again.
 */
export function openSealed(bytes: Uint8Array, options: OpenOptions = {}, read?: SealedRead): Opened {
  const backend = options.backend ?? nobleBackend;
  const opening = locate(bytes, options, read);
  if (!opening.ok) return opening;
  let valid: Verdict;
  try {
    valid = withSigStructure(opening.payload, opening.protectedBytes, (message) => backend.verify(opening.signature, message, opening.kid));
  } catch (failure) {
    valid = { failure };
  }
  return settleOpen(opening, valid, backend);
}

/**
 * openSealed with the signature checked off the calling thread (the backend's offload): the
 * same answers, and the payload is decoded here while the pool checks the signature.
 */
export function openSealedOffloaded(
  bytes: Uint8Array,
  options: OpenOptions & { backend: Ed25519Backend & { offload: Ed25519Offload } },
  read?: SealedRead,
): Promise<Opened> {
  const { backend } = options;
  const opening = locate(bytes, options, read);
  if (!opening.ok) return Promise.resolve(opening);
  let checking: Promise<boolean>;
  try {
    checking = withSigStructure(opening.payload, opening.protectedBytes, (message) => backend.offload.verify(opening.signature, message, opening.kid));
  } catch (failure) {
    checking = Promise.reject(failure);
  }
  opening.record();
  return checking.then(
    (valid) => settleOpen(opening, valid, backend),
    (failure: unknown) => settleOpen(opening, { failure }, backend),
  );
}

/**
 * A COSE_Sign1 taken apart (views into `bytes`), its signature not yet checked: what a transport
 * routes on, and what opening then checks without reading the bytes again.
 */
export interface SealedRead {
  ok: true;
  bytes: Uint8Array;
  protectedBytes: Uint8Array;
  kid: Uint8Array;
  payload: Uint8Array;
  signature: CborValue;
  /** the payload decoded, once, whatever the signature's verdict (a refusal names what it refuses) */
  record(): ReturnType<typeof decodeCbor>;
}

/** Takes a COSE_Sign1 apart without checking its signature; the first thing wrong with it otherwise. */
export function readSealed(bytes: Uint8Array, maxBytes = DEFAULT_MAX_SEALED_BYTES): SealedRead | Refusal {
  if (!(bytes instanceof Uint8Array)) return refuse('not-bytes', `expected bytes (a Uint8Array), got ${describeJs(bytes)}`);
  if (bytes.length === 0) return refuse('empty', 'sealed cap is empty (0 bytes)');
  if (bytes.length > maxBytes) return refuse('too-large', `sealed cap is ${bytes.length} bytes, over the limit of ${maxBytes} bytes`);
  const parts = readSign1(bytes);
  if ('ok' in parts) return parts;
  let decoded: ReturnType<typeof decodeCbor> | undefined;
  const record = () => (decoded ??= decodeCbor(parts.payload, { json: true }));
  return { ok: true, bytes, ...parts, record };
}

/** A read seal whose payload is hashed and whose signature has the length Ed25519 needs. */
type Opening = SealedRead & { signature: Uint8Array; content_hash: string; kid_text: string };

/** Everything opening does before the signature: read (unless `read` is of these bytes), hash, signature length. */
function locate(bytes: Uint8Array, options: OpenOptions, read?: SealedRead): Opening | Refusal {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SEALED_BYTES;
  const parts = read?.bytes === bytes && bytes.length <= maxBytes ? read : readSealed(bytes, maxBytes);
  if (!parts.ok) return parts;
  const { payload, signature } = parts;
  const located = { payload, content_hash: contentHash(payload, options.backend) };
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    return signatureRefusal('bad-signature-length', `signature must be 64 bytes, found ${describeCbor(signature)}`, located, parts.record());
  }
  return { ...parts, signature, content_hash: located.content_hash, kid_text: keyText(parts.kid) };
}

/** A signature's verdict, or what the backend threw instead of giving one. */
type Verdict = boolean | { failure: unknown };

/** The answer once the signature's verdict is in. */
function settleOpen(opening: Opening, valid: Verdict, backend: Ed25519Backend): Opened {
  const located = { payload: opening.payload, content_hash: opening.content_hash };
  const decoded = opening.record();
  if (typeof valid === 'object') return signatureRefusal('bad-signature', `${backend.name} could not check the signature: ${String(valid.failure)}`, located, decoded);
  if (!valid) return signatureRefusal('bad-signature', `Ed25519 signature does not verify with kid ${opening.kid_text}`, located, decoded);
  if (!decoded.ok) return refuse('bad-payload', `payload is not JSON-model CBOR: ${decoded.reason}`, located);
  return { ok: true, record: decoded.value, payload: opening.payload, content_hash: opening.content_hash, kid: opening.kid, kid_text: opening.kid_text };
}

export type Refusal = Extract<Opened, { ok: false }>;

function refuse(code: string, reason: string, located?: Located): Refusal {
  return { ok: false, code, reason, ...located };
}

type Located = { payload: Uint8Array; content_hash: string };

/** A refusal about the signature: it carries the payload's record, when it decodes, so the refusal can name what it refuses. */
function signatureRefusal(code: string, reason: string, { payload, content_hash }: Located, decoded: ReturnType<typeof decodeCbor>): Refusal {
  return decoded.ok ? { ok: false, code, reason, payload, content_hash, unverified: decoded.value } : { ok: false, code, reason, payload, content_hash };
}

function describeJs(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
