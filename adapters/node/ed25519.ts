import * as nodeCrypto from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { Ed25519Backend, Ed25519Offload } from '../../src/seal/seal.js';
import { KEY_CACHE_LIMIT, PKCS8_PREFIX_HEX, SPKI_PREFIX_HEX } from './ed25519-der.js';
import { Ed25519ThreadPool } from './ed25519-threads.js';

const PKCS8_PREFIX = Buffer.from(PKCS8_PREFIX_HEX, 'hex');
const SPKI_PREFIX = Buffer.from(SPKI_PREFIX_HEX, 'hex');
const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function cached(cache: Map<string, KeyObject>, raw: Uint8Array, build: (raw: Buffer) => KeyObject): KeyObject {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const id = buf.toString('latin1');
  let key = cache.get(id);
  if (key === undefined) {
    key = build(buf);
    if (cache.size >= KEY_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(id, key);
  }
  return key;
}

function privateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError(`Ed25519 seed must be 32 bytes, got ${seed.length}`);
  return cached(privateKeys, seed, (raw) =>
    createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' }),
  );
}

function publicKey(raw: Uint8Array): KeyObject {
  return cached(publicKeys, raw, (buf) =>
    createPublicKey({ key: Buffer.concat([SPKI_PREFIX, buf]), format: 'der', type: 'spki' }),
  );
}

/**
 * crypto.hash (Node >= 20.12) hashes in one call, without the Hash object createHash builds, and
 * hex output skips a Buffer: for a cap-sized input that is a third of the cost. Older Node 20
 * releases fall back to createHash.
 */
const hashOnce = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;
const sha256Hex = hashOnce
  ? (data: Uint8Array) => hashOnce('sha256', data, 'hex')
  : (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function plain(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The key a signature is checked with, or null when nothing can verify with it. */
function verifyingKey(signature: Uint8Array, key: Uint8Array): KeyObject | null {
  if (signature.length !== 64 || key.length !== 32) return null;
  try {
    return publicKey(key);
  } catch {
    // OpenSSL refuses some 32-byte strings as keys; such a key verifies nothing.
    return null;
  }
}

/**
 * node:crypto's callback forms, on libuv's thread pool: each copies its input when the job is
 * made. Kept for comparison (`npm run bench`); the Node backend offloads to worker threads.
 */
export const libuvOffload: Ed25519Offload = {
  sign: (seed, message) =>
    new Promise((resolve, reject) => sign(null, message, privateKey(seed), (error, signature) => (error ? reject(error) : resolve(plain(signature))))),
  verify(signature, message, key) {
    const pk = verifyingKey(signature, key);
    if (pk === null) return Promise.resolve(false);
    return new Promise((resolve, reject) => verify(null, message, pk, signature, (error, valid) => (error ? reject(error) : resolve(valid))));
  },
};

/** Ed25519 through node:crypto (OpenSSL): the same RFC 8032 signatures as noble, several times faster. */
export const nodeBackendOnThisThread: Ed25519Backend = {
  name: 'node:crypto',
  publicKey(seed) {
    const der = createPublicKey(privateKey(seed)).export({ format: 'der', type: 'spki' });
    return plain(der.subarray(SPKI_PREFIX.length));
  },
  sign: (seed, message) => plain(sign(null, message, privateKey(seed))),
  sha256Hex,
  verify(signature, message, key) {
    const pk = verifyingKey(signature, key);
    return pk !== null && verify(null, message, pk, signature);
  },
};

/**
 * The same, and `offload`: signing and verifying in batches on worker threads, one per core,
 * started when first used.
 */
export const nodeBackend: Ed25519Backend & { offload: Ed25519Offload } = { ...nodeBackendOnThisThread, offload: new Ed25519ThreadPool() };
