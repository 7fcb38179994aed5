import { compareBytes, copyBytes } from '../bytes.js';
import { MAX_DEPTH, Tagged, type CborValue } from './cbor-value.js';
import { Scratch, Writer } from './cbor-writer.js';
import { keyOrderCache } from './key-order.js';

/**
 * The CBOR encoder for sealing: always RFC 8949 §4.2.1 core deterministic bytes, so equal records
 * seal to equal bytes.
 */

/** Top-level encodes write here: sealing encodes every record it signs. */
const scratch = new Scratch(4096);

const utf8 = new TextEncoder();
const LONE_SURROGATE = /\p{Cs}/u;

/** Encoded object keys, cached because every cap repeats the same few field names. */
const keyCache = new Map<string, Uint8Array>();
const KEY_CACHE_LIMIT = 4096;

const f32 = new DataView(new ArrayBuffer(4));

/**
 * Encodes a value as RFC 8949 §4.2.1 core deterministic CBOR: map keys sorted by their encoded
 * bytes, shortest integer and length forms, definite lengths, floats in the shortest width that
 * keeps the value. Safe integers become CBOR integers; -0 stays a (half-precision) float.
 * Throws a TypeError for values outside the model (undefined, bigint, functions, class instances,
 * strings with lone surrogates): those are programming errors, not bad input.
 */
export function encodeCbor(value: CborValue): Uint8Array {
  return withCbor(value, copyBytes);
}

/**
 * Encodes like encodeCbor and hands `use` a view of the bytes in a scratch buffer, valid only
 * during the call: sealing hashes and signs the payload and copies it once into the COSE_Sign1,
 * with no copy of its own in between.
 */
export function withCbor<T>(value: CborValue, use: (bytes: Uint8Array) => T): T {
  const w = scratch.take();
  try {
    writeValue(w, value, 0);
    return use(w.written());
  } finally {
    scratch.give(w);
  }
}

function writeValue(w: Writer, value: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new TypeError(`cannot encode CBOR nested deeper than ${MAX_DEPTH} levels (cyclic value?)`);
  switch (typeof value) {
    case 'string':
      writeString(w, value);
      return;
    case 'number':
      writeNumber(w, value);
      return;
    case 'boolean':
      w.byte(value ? 0xf5 : 0xf4);
      return;
    case 'object':
      if (value === null) w.byte(0xf6);
      else if (Array.isArray(value)) {
        w.head(4, value.length);
        for (const item of value) writeValue(w, item, depth + 1);
      } else if (value instanceof Uint8Array) {
        w.head(2, value.length);
        w.bytes(value);
      } else if (value instanceof Tagged) {
        if (!Number.isSafeInteger(value.tag) || value.tag < 0) throw new TypeError(`invalid CBOR tag ${value.tag}`);
        w.head(6, value.tag);
        writeValue(w, value.value, depth + 1);
      } else if (value instanceof Map) writeMap(w, value, depth);
      else if (isPlainRecord(value)) writeObject(w, value, depth);
      else throw new TypeError(`cannot encode ${value.constructor?.name ?? 'object'} as CBOR`);
      return;
    default:
      throw new TypeError(`cannot encode ${typeof value} as CBOR`);
  }
}

function isPlainRecord(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function writeNumber(w: Writer, n: number): void {
  if (Number.isSafeInteger(n) && !Object.is(n, -0)) {
    if (n >= 0) w.head(0, n);
    else w.head(1, -1 - n);
    return;
  }
  w.ensure(9);
  if (Number.isNaN(n)) {
    // §4.2.2 suggests the one quiet NaN 0x7e00, so every NaN encodes alike.
    w.buf[w.pos++] = 0xf9;
    w.view.setUint16(w.pos, 0x7e00);
    w.pos += 2;
    return;
  }
  if (Math.fround(n) !== n) {
    w.buf[w.pos++] = 0xfb;
    w.view.setFloat64(w.pos, n);
    w.pos += 8;
    return;
  }
  f32.setFloat32(0, n);
  const bits = f32.getUint32(0);
  const half = halfBits(bits);
  if (half === null) {
    w.buf[w.pos++] = 0xfa;
    w.view.setUint32(w.pos, bits);
    w.pos += 4;
  } else {
    w.buf[w.pos++] = 0xf9;
    w.view.setUint16(w.pos, half);
    w.pos += 2;
  }
}

/** The binary16 bits of a binary32 value, or null when binary16 cannot hold it exactly. */
function halfBits(bits: number): number | null {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : null; // infinities; NaN handled earlier
  if (exp === 0) return mant === 0 ? sign : null; // ±0; float32 subnormals are far below binary16
  const e = exp - 127;
  if (e >= -14 && e <= 15) return (mant & 0x1fff) === 0 ? sign | ((e + 15) << 10) | (mant >>> 13) : null;
  if (e >= -24 && e < -14) {
    // binary16 subnormal: significand * 2^(e+1) must be a whole number of 2^-24 steps.
    const significand = 0x800000 | mant;
    const shift = -1 - e;
    return (significand & ((1 << shift) - 1)) === 0 ? sign | (significand >>> shift) : null;
  }
  return null;
}

function writeString(w: Writer, s: string): void {
  const start = w.pos;
  const len = s.length;
  w.head(3, len);
  w.ensure(len);
  const buf = w.buf;
  let p = w.pos;
  // ASCII fast path: UTF-16 length is the UTF-8 length, so the head written above is right.
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      w.pos = start;
      const body = utf8Body(s);
      w.head(3, body.length);
      w.bytes(body);
      return;
    }
    buf[p++] = c;
  }
  w.pos = p;
}

function utf8Body(s: string): Uint8Array {
  // TextEncoder would silently turn a lone surrogate into U+FFFD, sealing different text.
  if (LONE_SURROGATE.test(s)) throw new TypeError('cannot encode a string containing a lone UTF-16 surrogate as CBOR');
  return utf8.encode(s);
}

/** A text string's full CBOR encoding (head + UTF-8). */
function encodeText(s: string): Uint8Array {
  const body = utf8Body(s);
  const w = new Writer(body.length + 9);
  w.head(3, body.length);
  w.bytes(body);
  return w.written();
}

function encodedKey(key: string): Uint8Array {
  let bytes = keyCache.get(key);
  if (bytes === undefined) {
    bytes = encodeText(key);
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(key, bytes);
  }
  return bytes;
}

/** Up to this many keys, insertion sort; beyond, its quadratic worst case would show. */
const SMALL_OBJECT = 24;

/** Sorts `keys` in place into encoded-byte order and returns their encodings in that order. */
function sortKeys(keys: string[]): Uint8Array[] {
  const n = keys.length;
  if (n > SMALL_OBJECT) {
    const entries = keys.map((key) => ({ key, bytes: encodedKey(key) })).sort((a, b) => compareBytes(a.bytes, b.bytes));
    entries.forEach((entry, i) => (keys[i] = entry.key));
    return entries.map((entry) => entry.bytes);
  }
  // Records have a handful of keys, where insertion sort beats Array#sort and its closure.
  const encoded: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const bytes = encodedKey(key);
    let j = i;
    while (j > 0 && compareBytes(encoded[j - 1]!, bytes) > 0) {
      encoded[j] = encoded[j - 1]!;
      keys[j] = keys[j - 1]!;
      j--;
    }
    encoded[j] = bytes;
    keys[j] = key;
  }
  return encoded;
}

/** Keys in encoded-byte order with their encodings, worked out once per record shape. */
const keyOrder = keyOrderCache((keys) => {
  const sorted = keys.slice();
  return { sorted, encoded: sortKeys(sorted) };
}, KEY_CACHE_LIMIT);

function writeObject(w: Writer, obj: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(obj);
  w.head(5, keys.length);
  if (keys.length === 0) return;
  const { sorted, encoded } = keyOrder(keys);
  for (let i = 0; i < sorted.length; i++) {
    w.bytes(encoded[i]!);
    writeValue(w, obj[sorted[i]!], depth + 1);
  }
}

function writeMap(w: Writer, map: Map<unknown, unknown>, depth: number): void {
  const entries: { key: Uint8Array; value: unknown }[] = [];
  for (const [key, value] of map) {
    if (typeof key !== 'string' && !Number.isSafeInteger(key)) throw new TypeError('CBOR map keys must be text or safe integers');
    const kw = new Writer(16);
    // -0 is label 0; as a float it would be a key the decoder (rightly) refuses.
    writeValue(kw, key === 0 ? 0 : key, depth + 1);
    entries.push({ key: kw.written(), value });
  }
  entries.sort((a, b) => compareBytes(a.key, b.key));
  w.head(5, entries.length);
  for (const entry of entries) {
    w.bytes(entry.key);
    writeValue(w, entry.value, depth + 1);
  }
}
