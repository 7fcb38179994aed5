import { readFileSync } from 'node:fs';
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { nodeBackend } from '../adapters/node/ed25519.js';
import { fromHex, hex } from '../src/bytes.js';
import { encodeCbor } from '../src/seal/cbor-encode.js';
import type { CborValue } from '../src/seal/cbor-value.js';
import { manualClock, seededIds } from '../src/clock.js';
import { signingKeyFromSeed } from '../src/seal/keys.js';
import { keyText, openSealed, sealRecord } from '../src/seal/seal.js';
import { checkSealedCap } from '../src/seal/trust.js';
import { inCi, missing, python } from './tools/cose-ref.js';

/**
 * Cross-checks sealing against test/interop/cose_ref.py, an independent COSE_Sign1 built on
 * Debian's python3-cbor2 and python3-cryptography. In CI a missing Python side is a failure.
 */

interface PySealed {
  cose_hex: string;
  payload_hex: string;
  content_hash: string;
  public_key_hex: string;
}
type PyVerified = { ok: true; kid_hex: string; payload_hex: string; content_hash: string; record: unknown } | { ok: false; reason: string };

const vector = JSON.parse(readFileSync(new URL('../fixtures/seal-vector.json', import.meta.url), 'utf8'));
const ctx = { clock: manualClock(Date.UTC(2026, 0, 15)), ids: seededIds(3) };
const key = signingKeyFromSeed(fromHex(vector.seed_hex)!);

describe.skipIf(missing !== null && !inCi)('interop with an independent Python COSE_Sign1', () => {
  it('Python seals the vector cap to the same bytes, and we accept it', () => {
    const py = python<PySealed>('seal', { seed_hex: vector.seed_hex, record: vector.cap });
    expect(py.cose_hex).toBe(vector.cose_sign1_hex);
    expect(`ed25519:${py.public_key_hex}`).toBe(vector.public_key);
    const trust = checkSealedCap(fromHex(py.cose_hex)!, { ctx, backend: nodeBackend });
    expect(trust).toMatchObject({ ok: true, trust: 'self-signed', content_hash: py.content_hash, cap: vector.cap });
  });

  it('Python-sealed caps with awkward payloads open with the content hash Python computed', () => {
    const seed = new Uint8Array(32).fill(0x42);
    const signer = signingKeyFromSeed(seed);
    const payload = { '\ue000x': 1, '\u{10000}': 2, é: 'ü', big: 2 ** 53 + 2, tiny: 5.960464477539063e-8, neg: -1e-7, nested: [[], {}, [null, false]] };
    const cap = { ...vector.cap, actor_jis_pubkey: keyText(signer.publicKey), payload };
    const py = python<PySealed>('seal', { seed_hex: hex(seed), record: cap });
    const opened = openSealed(fromHex(py.cose_hex)!);
    expect(opened).toMatchObject({ ok: true, content_hash: py.content_hash, kid_text: keyText(signer.publicKey), record: cap });
    expect(hex(encodeCbor(cap))).toBe(py.payload_hex);
    expect(hex(sealRecord(cap, signer).bytes)).toBe(py.cose_hex);
    const keyring = { actors: { 'codex.aint': [keyText(signer.publicKey)] } };
    expect(checkSealedCap(fromHex(py.cose_hex)!, { ctx, keyring })).toMatchObject({ ok: true, trust: 'self-signed' });
  });

  it('Python verifies what we seal, with either backend', () => {
    for (const backend of [nodeBackend, undefined]) {
      const sealed = sealRecord({ ...vector.cap, cap_id: 'cap_00000000000000b0' }, key, backend);
      const py = python<PyVerified>('verify', { cose_hex: hex(sealed.bytes) });
      expect(py).toEqual({
        ok: true,
        kid_hex: hex(key.publicKey),
        payload_hex: hex(sealed.payload),
        content_hash: sealed.content_hash,
        record: { ...vector.cap, cap_id: 'cap_00000000000000b0' },
      });
    }
  });

  it('Python rejects what we reject: a flipped signature bit', () => {
    const tampered = fromHex(vector.cose_sign1_hex)!;
    tampered[tampered.length - 1]! ^= 1;
    expect(python<PyVerified>('verify', { cose_hex: hex(tampered) })).toEqual({ ok: false, reason: 'signature invalid' });
    expect(openSealed(tampered)).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('random JSON values encode to the same deterministic CBOR on both sides', () => {
    const values = fc.sample(fc.jsonValue({ stringUnit: 'binary', maxDepth: 5 }), { numRuns: 300, seed: 20260115 });
    // Through JSON first: -0 and other JS-only distinctions do not survive the trip to Python.
    const wire = values.map((v) => JSON.parse(JSON.stringify(v)) as CborValue);
    expect(python<string[]>('encode', wire)).toEqual(wire.map((v) => hex(encodeCbor(v))));
  });

  it("shows why cbor2's canonical order is not used for maps: it is length-first", () => {
    const order = python<{ cbor2_canonical: string; rfc8949: string }>('key-order');
    expect(order.cbor2_canonical).toBe('a22000181800'); // -1 (1 byte) before 24 (2 bytes)
    expect(order.rfc8949).toBe('a21818002000'); // 0x18 sorts before 0x20
    expect(hex(encodeCbor(new Map([[24, 0], [-1, 0]])))).toBe(order.rfc8949);
  });
});
