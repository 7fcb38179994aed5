import { compareBytes, copyBytes } from '../bytes.js';
import { keyOrderCache } from './key-order.js';

/**
 * CBOR for sealing: an encoder that always produces RFC 8949 §4.2.1 core deterministic bytes, and
 * a strict decoder for untrusted input that reports a reason instead of throwing.
 *
 * Value model: the JSON data model, plus byte strings (Uint8Array), tags (Tagged) and maps with
 * integer keys (Map), which COSE headers need. Maps whose keys are all text decode to plain objects.
 */

/** A tagged item, e.g. COSE_Sign1 = tag 18 around a 4-element array. */
export class Tagged {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

export type CborKey = number | string;
export type CborValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | Tagged
  | CborValue[]
  | Map<CborKey, CborValue>
  | { [key: string]: CborValue };

/** Nesting bound for both directions: stops cyclic records and stack-exhausting input. */
const MAX_DEPTH = 256;

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Initial byte plus argument in the shortest form (§4.2.1 "preferred serialization"). */
  head(major: number, n: number): void {
    this.ensure(9);
    const m = major << 5;
    const buf = this.buf;
    if (n < 24) {
      buf[this.pos++] = m | n;
    } else if (n < 0x100) {
      buf[this.pos++] = m | 24;
      buf[this.pos++] = n;
    } else if (n < 0x10000) {
      buf[this.pos++] = m | 25;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else if (n < 0x100000000) {
      buf[this.pos++] = m | 26;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    } else {
      buf[this.pos++] = m | 27;
      this.view.setUint32(this.pos, Math.floor(n / 0x100000000));
      this.view.setUint32(this.pos + 4, n >>> 0);
      this.pos += 8;
    }
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    // TypedArray#set is a native call, dearer than copying a map key's few bytes by hand
    if (n <= 32) {
      const buf = this.buf;
      for (let i = 0, p = this.pos; i < n; i++) buf[p + i] = b[i]!;
    } else this.buf.set(b, this.pos);
    this.pos += n;
  }
}

/** One scratch buffer for top-level encodes; an encode started while it is lent out gets its own. */
let scratch = new Writer(4096);
let scratchLent = false;
const SCRATCH_KEEP = 1 << 20;

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
  if (scratchLent) {
    const w = new Writer(256);
    writeValue(w, value, 0);
    return use(w.buf.subarray(0, w.pos));
  }
  const w = scratch;
  w.pos = 0;
  scratchLent = true;
  try {
    writeValue(w, value, 0);
    return use(w.buf.subarray(0, w.pos));
  } finally {
    scratchLent = false;
    if (w.buf.length > SCRATCH_KEEP) scratch = new Writer(4096);
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
  return w.buf.subarray(0, w.pos);
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
    entries.push({ key: kw.buf.subarray(0, kw.pos), value });
  }
  entries.sort((a, b) => compareBytes(a.key, b.key));
  w.head(5, entries.length);
  for (const entry of entries) {
    w.bytes(entry.key);
    writeValue(w, entry.value, depth + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

export type CborDecode =
  | { ok: true; value: CborValue }
  | { ok: false; code: 'malformed' | 'trailing-bytes'; reason: string };

export interface DecodeOptions {
  /** Accept only the JSON data model: no byte strings, tags or non-text map keys. */
  json?: boolean;
}

class DecodeError extends Error {}

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes exactly one CBOR item that must span the whole input. Strict where leniency would
 * hide tampering or ambiguity: no indefinite lengths, no duplicate map keys, no undefined or
 * unassigned simple values, valid UTF-8 only, integers within the JS safe range. Never throws.
 * Byte strings are returned as views into `bytes`, not copies.
 */
export function decodeCbor(bytes: Uint8Array, options: DecodeOptions = {}): CborDecode {
  const r = new Reader(bytes, options.json === true);
  let value: CborValue;
  try {
    value = r.item(0);
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, code: 'malformed', reason: err.message };
    return { ok: false, code: 'malformed', reason: `undecodable CBOR: ${String(err)}` };
  }
  if (r.pos !== bytes.length) {
    return {
      ok: false,
      code: 'trailing-bytes',
      reason: `${plural(bytes.length - r.pos, 'trailing byte')} after the CBOR item that ends at byte ${r.pos}`,
    };
  }
  return { ok: true, value };
}

/** Marks an 8-byte argument above 2^53-1, which no JS number holds exactly. */
const TOO_BIG = -1;

/**
 * Short decoded texts by their bytes, so map keys and repeated values (intents, actors, enums)
 * come back as the same, already internalized string: caps repeat a few field names, and building
 * and interning each key anew cost more than the rest of the decode.
 */
const TEXT_SLOTS = 1024;
const textSlots: ({ bytes: Uint8Array; text: string } | undefined)[] = new Array(TEXT_SLOTS);
const SHORT_TEXT_BYTES = 23;

class Reader {
  pos = 0;
  /** made on first use: only floats need one, and most records carry none */
  private floats: DataView | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly json: boolean,
  ) {}

  private get view(): DataView {
    const b = this.bytes;
    return (this.floats ??= new DataView(b.buffer, b.byteOffset, b.byteLength));
  }

  private fail(message: string): never {
    throw new DecodeError(message);
  }

  private need(n: number, what: string, at: number): void {
    const left = this.bytes.length - this.pos;
    if (n > left) this.fail(`${what} at byte ${at} needs ${plural(n, 'byte')}, only ${left} left`);
  }

  private argument(info: number, at: number): number {
    if (info < 24) return info;
    const size = 1 << (info - 24);
    this.need(size, 'item argument', at);
    const p = this.pos;
    this.pos += size;
    const b = this.bytes;
    if (size === 1) return b[p]!;
    if (size === 2) return (b[p]! << 8) | b[p + 1]!;
    if (size === 4) return uint32(b, p);
    const hi = uint32(b, p);
    return hi > 0x1fffff ? TOO_BIG : hi * 0x100000000 + uint32(b, p + 4);
  }

  item(depth: number): CborValue {
    const at = this.pos;
    if (at >= this.bytes.length) this.fail(`unexpected end of input at byte ${at}`);
    if (depth > MAX_DEPTH) this.fail(`items nested deeper than ${MAX_DEPTH} levels at byte ${at}`);
    const initial = this.bytes[this.pos++]!;
    const major = initial >>> 5;
    const info = initial & 0x1f;
    if (major === 7) return this.simple(info, at);
    if (info === 31) {
      if (major >= 2 && major <= 5) this.fail(`indefinite-length item at byte ${at}; only definite lengths are allowed`);
      this.fail(`invalid additional information 31 for major type ${major} at byte ${at}`);
    }
    if (info >= 28) this.fail(`reserved additional information ${info} at byte ${at}`);
    const arg = this.argument(info, at);
    switch (major) {
      case 0:
        if (arg === TOO_BIG) this.fail(`integer at byte ${at} is beyond the JS safe integer range`);
        return arg;
      case 1:
        // -1 - (2^53 - 1) is -2^53, one past the safe range.
        if (arg === TOO_BIG || arg === Number.MAX_SAFE_INTEGER) this.fail(`integer at byte ${at} is beyond the JS safe integer range`);
        return -1 - arg;
      case 2:
        if (this.json) this.fail(`byte string at byte ${at} is not JSON data`);
        return this.body(arg, 'byte string', at);
      case 3:
        return arg <= SHORT_TEXT_BYTES ? this.shortText(arg, at) : this.text(arg, at);
      case 4:
        return this.array(arg, at, depth);
      case 5:
        return this.map(arg, at, depth);
      default: {
        if (this.json) this.fail(`tag at byte ${at} is not JSON data`);
        if (arg === TOO_BIG) this.fail(`tag number at byte ${at} is too large`);
        return new Tagged(arg, this.item(depth + 1));
      }
    }
  }

  private body(length: number, what: string, at: number): Uint8Array {
    if (length === TOO_BIG) this.fail(`${what} at byte ${at} declares an impossible length`);
    this.need(length, what, at);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** Reads a text string's body in place: ASCII up to 8 bytes is built directly, longer text goes through the strict UTF-8 decoder. */
  private text(length: number, at: number): string {
    if (length === TOO_BIG) this.fail(`text string at byte ${at} declares an impossible length`);
    this.need(length, 'text string', at);
    const b = this.bytes;
    const start = this.pos;
    const end = start + length;
    this.pos = end;
    if (length <= 8) {
      let s = '';
      for (let i = start; i < end; i++) {
        const c = b[i]!;
        if (c >= 0x80) return this.utf8(b.subarray(start, end), at);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.utf8(b.subarray(start, end), at);
  }

  /** A short text string through the text cache, which returns an entry only when its bytes match exactly. */
  private shortText(length: number, at: number): string {
    const b = this.bytes;
    const start = this.pos;
    this.need(length, 'text string', at);
    // a few sampled bytes pick the slot; the full comparison below decides
    const h = length === 0 ? 0 : (length * 7919) ^ (b[start]! * 31) ^ (b[start + length - 1]! * 131) ^ (b[start + (length >> 1)]! * 1031) ^ (b[start + (length >> 2)]! * 17);
    const slot = h & (TEXT_SLOTS - 1);
    const cached = textSlots[slot];
    if (cached !== undefined && cached.bytes.length === length && sameBytes(cached.bytes, b, start)) {
      this.pos = start + length;
      return cached.text;
    }
    const text = this.text(length, at);
    textSlots[slot] = { bytes: b.slice(start, start + length), text };
    return text;
  }

  private utf8(body: Uint8Array, at: number): string {
    try {
      return utf8Strict.decode(body);
    } catch {
      return this.fail(`text string at byte ${at} is not valid UTF-8`);
    }
  }

  private array(count: number, at: number, depth: number): CborValue[] {
    // Every item takes at least one byte, so a larger count is a lie; checking first avoids huge allocations.
    const left = this.bytes.length - this.pos;
    if (count === TOO_BIG || count > left) this.fail(`array at byte ${at} declares ${plural(count, 'item')}, more than the ${plural(left, 'byte')} left`);
    const out: CborValue[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.item(depth + 1);
    return out;
  }

  private map(count: number, at: number, depth: number): CborValue {
    const left = this.bytes.length - this.pos;
    if (count === TOO_BIG || count * 2 > left) {
      this.fail(`map at byte ${at} declares ${plural(count, 'entry', 'entries')}, more than the ${plural(left, 'byte')} left hold`);
    }
    // text keys make a plain object; an integer first key (COSE headers) a Map from the start
    const b = this.bytes;
    let obj: Record<string, CborValue> | null = count > 0 && b[this.pos]! >>> 5 !== 3 ? null : {};
    let map: Map<CborKey, CborValue> | null = obj === null ? new Map() : null;
    // While short text keys arrive in strictly increasing byte order (as deterministic encoders
    // write them), none can repeat an earlier one and the duplicate lookup is skipped.
    let ascending = true;
    let previousAt = -1;
    let previousEnd = -1;
    for (let i = 0; i < count; i++) {
      const keyAt = this.pos;
      const key = this.item(depth + 1);
      if (ascending) {
        ascending = b[keyAt]! >>> 5 === 3 && (b[keyAt]! & 0x1f) < 24 && (previousAt < 0 || compareRanges(b, previousAt, previousEnd, keyAt, this.pos) < 0);
        previousAt = keyAt;
        previousEnd = this.pos;
      }
      if (typeof key === 'number') {
        if (this.json) this.fail(`map key at byte ${keyAt} is not text, so the map is not JSON data`);
        // COSE labels are integers; a float such as 1.0 must not pass for label 1.
        if (this.bytes[keyAt]! >>> 5 === 7) this.fail(`map key at byte ${keyAt} is a floating-point number`);
      } else if (typeof key !== 'string') {
        this.fail(`map key at byte ${keyAt} must be an integer or a text string`);
      }
      const value = this.item(depth + 1);
      if (obj !== null && typeof key === 'string') {
        if (!ascending && Object.hasOwn(obj, key)) this.fail(`duplicate map key ${JSON.stringify(key)} at byte ${keyAt}`);
        // Assigning "__proto__" would replace the prototype instead of adding a field.
        if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        else obj[key] = value;
        continue;
      }
      if (map === null) {
        map = new Map(Object.entries(obj!));
        obj = null;
      }
      if (map.has(key)) this.fail(`duplicate map key ${JSON.stringify(key)} at byte ${keyAt}`);
      map.set(key, value);
    }
    return obj ?? map!;
  }

  private simple(info: number, at: number): CborValue {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 25: {
        this.need(2, 'half-precision float', at);
        const h = this.view.getUint16(this.pos);
        this.pos += 2;
        return halfToNumber(h);
      }
      case 26: {
        this.need(4, 'single-precision float', at);
        const v = this.view.getFloat32(this.pos);
        this.pos += 4;
        return v;
      }
      case 27: {
        this.need(8, 'double-precision float', at);
        const v = this.view.getFloat64(this.pos);
        this.pos += 8;
        return v;
      }
      case 23:
        return this.fail(`undefined (simple value 23) at byte ${at} is not supported`);
      case 31:
        return this.fail(`unexpected break code at byte ${at}; only definite lengths are allowed`);
      default:
        return this.fail(`unsupported simple value (additional information ${info}) at byte ${at}`);
    }
  }
}

function uint32(b: Uint8Array, p: number): number {
  return (b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!)) >>> 0;
}

/** Bytewise order of b[aStart, aEnd) and b[bStart, bEnd). */
function compareRanges(b: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const d = b[aStart + i]! - b[bStart + i]!;
    if (d !== 0) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
}

function sameBytes(a: Uint8Array, b: Uint8Array, offset: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[offset + i]) return false;
  return true;
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** A short noun phrase for a decoded value, for reasons such as "found a text string". */
export function describeCbor(value: CborValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'string') return 'a text string';
  if (value instanceof Uint8Array) return `a byte string of ${plural(value.length, 'byte')}`;
  if (value instanceof Tagged) return `tag ${value.tag}`;
  if (Array.isArray(value)) return `an array of ${plural(value.length, 'item')}`;
  return 'a map';
}

function plural(n: number, one: string, many = `${one}s`): string {
  return n === TOO_BIG ? `too many ${many}` : `${n} ${n === 1 ? one : many}`;
}
