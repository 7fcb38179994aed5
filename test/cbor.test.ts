import { fc, test as property } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../src/bytes.js';
import { decodeCbor } from '../src/seal/cbor-decode.js';
import { encodeCbor } from '../src/seal/cbor-encode.js';
import { Tagged, type CborValue } from '../src/seal/cbor-value.js';

const enc = (value: CborValue) => hex(encodeCbor(value));
const bytes = (text: string) => fromHex(text.replace(/\s+/g, ''))!;

/** The same value rebuilt with every object's keys inserted in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
  }
  return value;
}

describe('encodeCbor: RFC 8949 Appendix A examples', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [23, '17'],
    [24, '1818'],
    [255, '18ff'],
    [256, '190100'],
    [1000, '1903e8'],
    [65535, '19ffff'],
    [65536, '1a00010000'],
    [1000000, '1a000f4240'],
    [4294967296, '1b0000000100000000'],
    [1000000000000, '1b000000e8d4a51000'],
    [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    [-1, '20'],
    [-24, '37'],
    [-25, '3818'],
    [-100, '3863'],
    [-1000, '3903e7'],
    [-Number.MAX_SAFE_INTEGER, '3b001ffffffffffffe'],
  ])('integer %s is %s (shortest form)', (value, expected) => {
    expect(enc(value)).toBe(expected);
  });

  it.each([
    [1.5, 'f93e00'],
    [65504, '19ffe0'], // integral: an integer, not a float
    [100000.5, 'fa47c35040'],
    [3.4028234663852886e38, 'fa7f7fffff'],
    [1.1, 'fb3ff199999999999a'],
    [1e300, 'fb7e37e43c8800759c'],
    [5.960464477539063e-8, 'f90001'], // smallest binary16 subnormal
    [0.00006103515625, 'f90400'], // smallest binary16 normal
    [0.5, 'f93800'],
    [-4.1, 'fbc010666666666666'],
    [-0, 'f98000'],
    [Infinity, 'f97c00'],
    [-Infinity, 'f9fc00'],
    [NaN, 'f97e00'],
    [2 ** 53, 'fa5a000000'], // past the safe range: a float, in the shortest width that holds it
    [2 ** -25, 'fa33000000'], // below binary16's range
    [1 + 2 ** -10, 'f93c01'], // needs all 10 binary16 mantissa bits
    [1 + 2 ** -11, 'fa3f801000'], // one more bit: binary32
  ])('float %s is %s (shortest width that keeps the value)', (value, expected) => {
    expect(enc(value)).toBe(expected);
  });

  it.each([
    ['', '60'],
    ['a', '6161'],
    ['IETF', '6449455446'],
    ['"\\', '62225c'],
    ['\u00fc', '62c3bc'],
    ['\u6c34', '63e6b0b4'],
    ['\u{10151}', '64f0908591'],
  ])('text %j is %s', (value, expected) => {
    expect(enc(value)).toBe(expected);
  });

  it('encodes the other simple types, arrays, bytes and tags', () => {
    expect(enc(false)).toBe('f4');
    expect(enc(true)).toBe('f5');
    expect(enc(null)).toBe('f6');
    expect(enc([])).toBe('80');
    expect(enc([1, [2, 3], [4, 5]])).toBe('8301820203820405');
    expect(enc(Array.from({ length: 25 }, (_, i) => i + 1))).toBe('98190102030405060708090a0b0c0d0e0f101112131415161718181819');
    expect(enc(new Uint8Array([1, 2, 3, 4]))).toBe('4401020304');
    expect(enc(new Tagged(18, [1]))).toBe('d28101');
  });

  it('uses the shortest length head at every boundary', () => {
    for (const [n, head] of [
      [23, '77'],
      [24, '7818'],
      [255, '78ff'],
      [256, '790100'],
      [65536, '7a00010000'],
    ] as const) {
      expect(enc('x'.repeat(n)).slice(0, head.length)).toBe(head);
      expect(encodeCbor('x'.repeat(n)).length).toBe(head.length / 2 + n);
    }
  });
});

describe('encodeCbor: deterministic map order', () => {
  it('sorts keys by encoded bytes, so shorter keys come first', () => {
    expect(enc({ b: 1, aa: 3, a: 2 })).toBe('a3' + '616102' + '616201' + '62616103');
  });

  it('does not depend on insertion order', () => {
    const a = { cap_id: 'cap_1', payload: { z: 1, y: [{ b: 2, a: 1 }] }, actor_id: 'x' };
    const b = { actor_id: 'x', payload: { y: [{ a: 1, b: 2 }], z: 1 }, cap_id: 'cap_1' };
    expect(enc(a)).toBe(enc(b));
  });

  it('sorts large objects the same way', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `k${(i * 7919) % 1000}`);
    const forward = Object.fromEntries(keys.map((k) => [k, 1]));
    const backward = Object.fromEntries([...keys].reverse().map((k) => [k, 1]));
    expect(enc(forward)).toBe(enc(backward));
    const decoded = decodeCbor(encodeCbor(forward));
    const byEncoding = [...keys].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
    expect(decoded.ok && Object.keys(decoded.value as object)).toEqual(byEncoding);
  });

  it('orders non-ASCII keys by UTF-8 bytes, not UTF-16 code units', () => {
    // Both keys are 4 UTF-8 bytes; UTF-16 puts U+10000 (a surrogate pair, 0xD800…) before U+E000.
    const early = '\ue000x'; // ee 80 80 78
    const late = '\u{10000}'; // f0 90 80 80
    expect(early > late).toBe(true);
    expect(enc({ [late]: 1, [early]: 2 })).toBe('a2' + '64ee808078' + '02' + '64f0908080' + '01');
  });

  it('sorts mixed integer and text keys bytewise (not length-first as RFC 7049 did)', () => {
    const map = new Map<number | string, CborValue>([
      ['a', 1],
      [100, 4],
      [-1, 3],
      [10, 2],
    ]);
    expect(enc(map)).toBe('a4' + '0a02' + '186404' + '2003' + '616101');
  });

  it('refuses values outside the model with a TypeError', () => {
    expect(() => encodeCbor({ a: undefined } as never)).toThrow(TypeError);
    expect(() => encodeCbor(10n as never)).toThrow(TypeError);
    expect(() => encodeCbor(new Date(0) as never)).toThrow(/Date/);
    expect(() => encodeCbor('\ud800' as never)).toThrow(/lone UTF-16 surrogate/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeCbor(cyclic as never)).toThrow(/nested deeper/);
  });
});

describe('decodeCbor', () => {
  it('reads what the encoder writes, COSE-style integer keys included', () => {
    const value = new Tagged(18, [new Uint8Array([0xa1, 0x01, 0x27]), new Map([[4, new Uint8Array(2)]]), { a: [1.5, -2, null, true] }]);
    const decoded = decodeCbor(encodeCbor(value));
    expect(decoded).toEqual({ ok: true, value });
  });

  it('decodes every float width', () => {
    expect(decodeCbor(bytes('f93c00'))).toEqual({ ok: true, value: 1 });
    expect(decodeCbor(bytes('f90001'))).toEqual({ ok: true, value: 5.960464477539063e-8 });
    expect(decodeCbor(bytes('f9fc00'))).toEqual({ ok: true, value: -Infinity });
    expect(decodeCbor(bytes('fa47c35000'))).toEqual({ ok: true, value: 100000 });
    expect(decodeCbor(bytes('fb3ff199999999999a'))).toEqual({ ok: true, value: 1.1 });
  });

  it('reads text whose length is written in a longer head than needed, as key and as value', () => {
    expect(decodeCbor(bytes('a1 78 03 616263 79 0002 6869'))).toEqual({ ok: true, value: { abc: 'hi' } });
  });

  it('never mixes up short texts that share their length and sampled bytes', () => {
    // same length, first, middle, quarter and last byte: only the full comparison tells them apart
    for (let round = 0; round < 2; round++) {
      for (const text of ['axxxxxxb', 'axxyxxxb', 'axxxxyxb', 'axxxxxyb']) {
        expect(decodeCbor(encodeCbor({ [text]: text }))).toEqual({ ok: true, value: { [text]: text } });
      }
    }
  });

  it('keeps a "__proto__" key as an ordinary field', () => {
    const decoded = decodeCbor(bytes('a1 69 5f5f70726f746f5f5f 01'));
    expect(decoded.ok && Object.getPrototypeOf(decoded.value)).toBe(Object.prototype);
    expect(decoded.ok && Object.keys(decoded.value as object)).toEqual(['__proto__']);
  });

  it.each([
    ['', 'unexpected end of input at byte 0'],
    ['1b 0020000000000000', 'integer at byte 0 is beyond the JS safe integer range'],
    ['3b 001fffffffffffff', 'integer at byte 0 is beyond the JS safe integer range'],
    ['5f 41 00 ff', 'indefinite-length item at byte 0; only definite lengths are allowed'],
    ['ff', 'unexpected break code at byte 0; only definite lengths are allowed'],
    ['1f', 'invalid additional information 31 for major type 0 at byte 0'],
    ['1c', 'reserved additional information 28 at byte 0'],
    ['f7', 'undefined (simple value 23) at byte 0 is not supported'],
    ['f8 20', 'unsupported simple value (additional information 24) at byte 0'],
    ['62 c328', 'text string at byte 0 is not valid UTF-8'],
    ['63 eda080', 'text string at byte 0 is not valid UTF-8'], // an encoded surrogate
    ['45 0102', 'byte string at byte 0 needs 5 bytes, only 2 left'],
    ['19 01', 'item argument at byte 0 needs 2 bytes, only 1 left'],
    ['9a ffffffff 00', 'array at byte 0 declares 4294967295 items, more than the 1 byte left'],
    ['a2 6161 01 6161 02', 'duplicate map key "a" at byte 4'],
    ['a2 01 01 01 02', 'duplicate map key 1 at byte 3'],
    ['a3 6161 01 6162 02 6161 03', 'duplicate map key "a" at byte 7'], // after keys in canonical order
    ['a3 6161 01 6162 02 7801 61 03', 'duplicate map key "a" at byte 7'], // the repeat in a longer head
    ['a1 f93c00 01', 'map key at byte 1 is a floating-point number'],
    ['a1 80 01', 'map key at byte 1 must be an integer or a text string'],
  ])('rejects %s: %s', (input, reason) => {
    expect(decodeCbor(bytes(input))).toEqual({ ok: false, code: 'malformed', reason });
  });

  it('rejects trailing bytes with their own code', () => {
    expect(decodeCbor(bytes('01 02 03'))).toEqual({
      ok: false,
      code: 'trailing-bytes',
      reason: '2 trailing bytes after the CBOR item that ends at byte 1',
    });
  });

  it('bounds nesting instead of exhausting the stack', () => {
    const deep = new Uint8Array(100_000).fill(0x81);
    const decoded = decodeCbor(deep);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toMatch(/nested deeper than 256 levels/);
  });

  it('in JSON mode refuses bytes, tags and integer keys', () => {
    expect(decodeCbor(bytes('41 00'), { json: true })).toMatchObject({ ok: false, reason: 'byte string at byte 0 is not JSON data' });
    expect(decodeCbor(bytes('c1 00'), { json: true })).toMatchObject({ ok: false, reason: 'tag at byte 0 is not JSON data' });
    expect(decodeCbor(bytes('a1 01 02'), { json: true })).toMatchObject({
      ok: false,
      reason: 'map key at byte 1 is not text, so the map is not JSON data',
    });
  });
});

describe('properties', () => {
  const json = fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 });

  property.prop([json])('JSON values round-trip and re-encode to the same bytes', (value) => {
    const encoded = encodeCbor(value as CborValue);
    const decoded = decodeCbor(encoded, { json: true });
    expect(decoded).toEqual({ ok: true, value });
    expect(encodeCbor(decoded.ok ? decoded.value : null)).toEqual(encoded);
  });

  property.prop([json])('encoding ignores key insertion order', (value) => {
    expect(encodeCbor(reversedKeys(value) as CborValue)).toEqual(encodeCbor(value as CborValue));
  });

  property.prop([fc.double()])('every double takes the shortest width that keeps it', (n) => {
    const out = encodeCbor(n);
    const decoded = decodeCbor(out);
    expect(decoded.ok && Object.is(decoded.value, n)).toBe(true);
    if (out[0] === 0xfa) expect(Math.fround(n)).toBe(n);
    if (out[0] === 0xfb) expect(Math.fround(n)).not.toBe(n);
  });

  property.prop([fc.uint8Array({ maxLength: 64 })])('never throws on arbitrary bytes', (input) => {
    const decoded = decodeCbor(input);
    expect(typeof decoded.ok).toBe('boolean');
  });
});
