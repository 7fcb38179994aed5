import { readFileSync } from 'node:fs';
import { fc, test as property } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { nodeBackend } from '../adapters/node/ed25519.js';
import { fromHex, hex } from '../src/bytes.js';
import { encodeCbor } from '../src/seal/cbor-encode.js';
import { Tagged, type CborValue } from '../src/seal/cbor-value.js';
import { contentHash, keyText, nobleBackend, openSealed, sealRecord, type SigningKey } from '../src/seal/seal.js';
import { decodeSign1, ownLayout } from '../src/seal/cose.js';

const vector = JSON.parse(readFileSync(new URL('../fixtures/seal-vector.json', import.meta.url), 'utf8'));
const seed = fromHex(vector.seed_hex)!;
const key: SigningKey = { seed, publicKey: fromHex(vector.public_key.slice('ed25519:'.length))! };
const sealedBytes = fromHex(vector.cose_sign1_hex)!;
const backends = [nobleBackend, nodeBackend];

const PROTECTED = fromHex('a10127')!;

/** Builds a COSE_Sign1 from parts, signing whatever protected header and payload it is given. */
function coseFrom(parts: { protected?: CborValue; unprotected?: CborValue; payload?: CborValue; signature?: CborValue; tag?: number }) {
  const prot = 'protected' in parts ? parts.protected! : PROTECTED;
  const payload = 'payload' in parts ? parts.payload! : encodeCbor({ hello: 'world' });
  const toSign =
    prot instanceof Uint8Array && payload instanceof Uint8Array ? encodeCbor(['Signature1', prot, new Uint8Array(0), payload]) : new Uint8Array(0);
  const signature = parts.signature ?? nobleBackend.sign(key.seed, toSign);
  const unprotected = parts.unprotected ?? new Map([[4, key.publicKey]]);
  return encodeCbor(new Tagged(parts.tag ?? 18, [prot, unprotected, payload, signature]));
}

describe('test vector (fixtures/seal-vector.json)', () => {
  it.each(backends)('$name derives the public key and seals to the exact bytes', (backend) => {
    expect(keyText(backend.publicKey(seed))).toBe(vector.public_key);
    const sealed = sealRecord(vector.cap, key, backend);
    expect(hex(sealed.payload)).toBe(vector.payload_hex);
    expect(sealed.content_hash).toBe(vector.content_hash);
    expect(hex(sealed.bytes)).toBe(vector.cose_sign1_hex);
    expect(hex(sealed.bytes)).toContain(vector.signature_hex);
    expect(sealed.kid).toEqual(key.publicKey);
  });

  it.each(backends)('$name opens it', (backend) => {
    const opened = openSealed(sealedBytes, { backend });
    expect(opened).toEqual({
      ok: true,
      record: vector.cap,
      payload: fromHex(vector.payload_hex),
      content_hash: vector.content_hash,
      kid: key.publicKey,
      kid_text: vector.public_key,
    });
  });

  it('gives the same bytes whatever order the record was built in', () => {
    const reversed = Object.fromEntries(Object.entries(vector.cap).reverse());
    expect(hex(sealRecord(reversed, key).bytes)).toBe(vector.cose_sign1_hex);
  });

  it('hashes the payload bytes', () => {
    expect(contentHash(new Uint8Array(0))).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('noble and node:crypto agree', () => {
  const seeds = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const messages = fc.uint8Array({ maxLength: 300 });

  property.prop([seeds, messages], { numRuns: 40 })('same public key, same signature, each verifies the other', (s, message) => {
    const publicKey = nobleBackend.publicKey(s);
    expect(nodeBackend.publicKey(s)).toEqual(publicKey);
    const fromNoble = nobleBackend.sign(s, message);
    const fromNode = nodeBackend.sign(s, message);
    expect(fromNode).toEqual(fromNoble);
    expect(nodeBackend.verify(fromNoble, message, publicKey)).toBe(true);
    expect(nobleBackend.verify(fromNode, message, publicKey)).toBe(true);
  });

  property.prop([messages])('content hashes agree (node:crypto SHA-256 against @noble/hashes)', (message) => {
    expect(contentHash(message, nodeBackend)).toBe(contentHash(message));
    expect(contentHash(message)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('both reject a signature over another message, and malformed keys or signatures', () => {
    const message = new TextEncoder().encode('cap');
    const signature = nobleBackend.sign(seed, message);
    for (const backend of backends) {
      expect(backend.verify(signature, new TextEncoder().encode('cap!'), key.publicKey)).toBe(false);
      expect(backend.verify(signature.subarray(1), message, key.publicKey)).toBe(false);
      expect(backend.verify(signature, message, key.publicKey.subarray(1))).toBe(false);
      expect(backend.verify(signature, message, new Uint8Array(32).fill(0xff))).toBe(false);
    }
  });

  it('seals opened by the other backend', () => {
    expect(openSealed(sealRecord({ a: 1 }, key, nodeBackend).bytes, { backend: nobleBackend }).ok).toBe(true);
    expect(openSealed(sealRecord({ a: 1 }, key, nobleBackend).bytes, { backend: nodeBackend }).ok).toBe(true);
  });
});

describe('openSealed refuses bad input precisely', () => {
  const other = { seed: new Uint8Array(32).fill(7), publicKey: nobleBackend.publicKey(new Uint8Array(32).fill(7)) };
  const otherText = keyText(other.publicKey);
  const kidText = vector.public_key;

  it.each([
    ['empty input', new Uint8Array(0), 'empty', 'sealed cap is empty (0 bytes)'],
    ['garbage', new TextEncoder().encode('hello'), 'not-cbor', 'not CBOR: text string at byte 0 needs 8 bytes, only 4 left'],
    ['trailing bytes', Uint8Array.of(...sealedBytes, 0), 'trailing-bytes', `sealed cap has 1 trailing byte after the CBOR item that ends at byte ${sealedBytes.length}`],
    ['an untagged array', encodeCbor([PROTECTED, new Map(), new Uint8Array(0), new Uint8Array(64)]), 'untagged', 'expected CBOR tag 18 (COSE_Sign1), found an array of 4 items without a tag'],
    ['COSE_Sign (tag 98)', coseFrom({ tag: 98 }), 'wrong-tag', 'expected CBOR tag 18 (COSE_Sign1), found tag 98 (COSE_Sign)'],
    ['tag 18 around a map', encodeCbor(new Tagged(18, { a: 1 })), 'bad-structure', 'COSE_Sign1 must be an array of 4 items, found a map'],
    ['a 3-item array', encodeCbor(new Tagged(18, [PROTECTED, new Map(), new Uint8Array(0)])), 'bad-structure', 'COSE_Sign1 must be an array of 4 items, found an array of 3 items'],
    ['protected as a bare map', coseFrom({ protected: new Map([[1, -8]]) }), 'protected-not-bstr', 'protected header must be a byte string, found a map'],
    ['protected not CBOR', coseFrom({ protected: Uint8Array.of(0xff) }), 'protected-not-map', 'protected header is not CBOR: unexpected break code at byte 0; only definite lengths are allowed'],
    ['protected an array', coseFrom({ protected: encodeCbor([1, -8]) }), 'protected-not-map', 'protected header must be a CBOR map, found an array of 2 items'],
    ['empty protected header', coseFrom({ protected: new Uint8Array(0) }), 'missing-alg', 'protected header has no alg (label 1); expected -8 (EdDSA)'],
    ['ES256', coseFrom({ protected: encodeCbor(new Map([[1, -7]])) }), 'wrong-alg', 'protected header alg is -7 (ES256); only -8 (EdDSA) is accepted'],
    ['alg as text', coseFrom({ protected: encodeCbor(new Map([[1, 'EdDSA']])) }), 'wrong-alg', 'protected header alg is "EdDSA"; only -8 (EdDSA) is accepted'],
    ['a crit header', coseFrom({ protected: encodeCbor(new Map<number, CborValue>([[1, -8], [2, [99]]])) }), 'unsupported-crit', 'protected header lists critical headers (label 2), which this bus does not process'],
    ['unprotected not a map', coseFrom({ unprotected: [] }), 'bad-unprotected', 'unprotected header must be a map, found an array of 0 items'],
    ['no kid', coseFrom({ unprotected: new Map() }), 'missing-kid', 'unprotected header has no kid (label 4)'],
    ['a short kid', coseFrom({ unprotected: new Map([[4, new Uint8Array(16)]]) }), 'bad-kid', 'kid must be a 32-byte Ed25519 public key, found a byte string of 16 bytes'],
    ['kid as text', coseFrom({ unprotected: new Map([[4, kidText]]) }), 'bad-kid', 'kid must be a 32-byte Ed25519 public key, found a text string'],
    ['a detached payload', coseFrom({ payload: null }), 'payload-not-bstr', 'payload must be a byte string, found null (detached payloads are not supported)'],
    ['payload as a map', coseFrom({ payload: { a: 1 } }), 'payload-not-bstr', 'payload must be a byte string, found a map'],
    ['a 63-byte signature', coseFrom({ signature: new Uint8Array(63) }), 'bad-signature-length', 'signature must be 64 bytes, found a byte string of 63 bytes'],
    ['a forged signature', coseFrom({ signature: new Uint8Array(64) }), 'bad-signature', `Ed25519 signature does not verify with kid ${kidText}`],
    ['the wrong kid', coseFrom({ unprotected: new Map([[4, other.publicKey]]) }), 'bad-signature', `Ed25519 signature does not verify with kid ${otherText}`],
    ['a payload with a byte string', coseFrom({ payload: encodeCbor({ blob: new Uint8Array(2) }) }), 'bad-payload', 'payload is not JSON-model CBOR: byte string at byte 6 is not JSON data'],
    ['a payload with trailing bytes', coseFrom({ payload: Uint8Array.of(0xa0, 0x00) }), 'bad-payload', 'payload is not JSON-model CBOR: 1 trailing byte after the CBOR item that ends at byte 1'],
  ])('%s', (_what, input, code, reason) => {
    for (const backend of backends) {
      const opened = openSealed(input, { backend });
      expect(opened).toMatchObject({ ok: false, code, reason });
    }
  });

  it('refuses non-bytes without throwing', () => {
    expect(openSealed('d284' as never)).toEqual({ ok: false, code: 'not-bytes', reason: 'expected bytes (a Uint8Array), got string' });
    expect(openSealed(null as never)).toEqual({ ok: false, code: 'not-bytes', reason: 'expected bytes (a Uint8Array), got null' });
  });

  it('keeps the located payload and its hash once it has one', () => {
    const forged = coseFrom({ signature: new Uint8Array(64) });
    const payload = encodeCbor({ hello: 'world' });
    expect(openSealed(forged)).toMatchObject({ ok: false, payload, content_hash: contentHash(payload) });
  });

  it('hands a signature refusal the record it read, marked unverified, and nothing for a payload that does not decode', () => {
    expect(openSealed(coseFrom({ signature: new Uint8Array(64) }))).toMatchObject({ ok: false, code: 'bad-signature', unverified: { hello: 'world' } });
    expect(openSealed(coseFrom({ signature: new Uint8Array(3) }))).toMatchObject({ ok: false, code: 'bad-signature-length', unverified: { hello: 'world' } });
    const undecodable = openSealed(coseFrom({ payload: Uint8Array.of(0xff), signature: new Uint8Array(64) }));
    expect(undecodable).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(undecodable).not.toHaveProperty('unverified');
  });

  it('enforces a size limit, 1 MiB by default, before decoding anything', () => {
    expect(openSealed(sealedBytes, { maxBytes: 100 })).toEqual({
      ok: false,
      code: 'too-large',
      reason: `sealed cap is ${sealedBytes.length} bytes, over the limit of 100 bytes`,
    });
    expect(openSealed(sealedBytes, { maxBytes: sealedBytes.length }).ok).toBe(true);
    expect(openSealed(new Uint8Array(1_048_577))).toMatchObject({ code: 'too-large', reason: 'sealed cap is 1048577 bytes, over the limit of 1048576 bytes' });
    const big = sealRecord({ blob: 'x'.repeat(1_048_576) }, key, nodeBackend).bytes;
    expect(openSealed(big, { maxBytes: 2_000_000, backend: nodeBackend }).ok).toBe(true);
  });

  it('reports a backend that throws instead of throwing', () => {
    const broken = { ...nobleBackend, name: 'broken', verify: () => { throw new Error('boom'); } };
    expect(openSealed(sealedBytes, { backend: broken })).toMatchObject({ ok: false, code: 'bad-signature', reason: 'broken could not check the signature: Error: boom' });
  });

  it('fails cleanly on every prefix of a valid seal', () => {
    for (let n = 0; n < sealedBytes.length; n++) {
      const opened = openSealed(sealedBytes.subarray(0, n), { backend: nodeBackend });
      expect(opened.ok).toBe(false);
      if (!opened.ok) expect([n === 0 ? 'empty' : 'not-cbor']).toContain(opened.code);
    }
  });

  it.each(backends)('fails with a reason for a flipped bit at every byte ($name)', (backend) => {
    const codes = new Set<string>();
    for (let i = 0; i < sealedBytes.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const tampered = sealedBytes.slice();
        tampered[i]! ^= bit;
        const opened = openSealed(tampered, { backend });
        expect(opened.ok, `byte ${i} bit ${bit}`).toBe(false);
        if (!opened.ok) {
          expect(opened.reason.length).toBeGreaterThan(10);
          codes.add(opened.code);
        }
      }
    }
    expect([...codes]).toEqual(expect.arrayContaining(['bad-signature', 'missing-kid', 'not-cbor', 'protected-not-map', 'wrong-alg', 'wrong-tag']));
  });

  property.prop([fc.uint8Array({ maxLength: 200 })])('never throws on arbitrary bytes', (input) => {
    expect(openSealed(input).ok).toBe(false);
  });
});

describe('the own-layout reading and the generic decode agree', () => {
  const records = fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 12 });
  const flips = fc.array(fc.record({ at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }), { maxLength: 3 });

  property.prop([records, flips], { numRuns: 300 })('on sealed records with bytes flipped anywhere', (record, changes) => {
    const bytes = sealRecord(record, key, nodeBackend).bytes.slice();
    for (const { at, bits } of changes) bytes[at % bytes.length]! ^= bits;
    const fast = ownLayout(bytes);
    // whatever the fast reading accepts, the strict decoder reads to the very same parts
    if (fast !== undefined) expect(decodeSign1(bytes)).toEqual(fast);
    if (changes.length === 0) expect(fast).toBeDefined();
  });

  it('another encoder\'s valid layout (an extra unprotected header) opens by the generic path', () => {
    const payload = encodeCbor(vector.cap);
    const message = encodeCbor(['Signature1', encodeCbor(new Map([[1, -8]])), new Uint8Array(0), payload]);
    const signature = nodeBackend.sign(seed, message);
    const unprotected = new Map<number, CborValue>([[3, 'application/cbor'], [4, key.publicKey]]);
    const foreign = encodeCbor(new Tagged(18, [encodeCbor(new Map([[1, -8]])), unprotected, payload, signature]));
    expect(ownLayout(foreign)).toBeUndefined();
    const opened = openSealed(foreign, { backend: nodeBackend });
    expect(opened).toMatchObject({ ok: true, record: vector.cap, content_hash: contentHash(payload), kid_text: keyText(key.publicKey) });
  });
});
