import { MAX_DEPTH, Tagged, type CborKey, type CborValue } from './cbor-value.js';

/**
 * The strict CBOR decoder for untrusted input: it reports a reason instead of throwing.
 */

type CborDecode =
  | { ok: true; value: CborValue }
  | { ok: false; code: 'malformed' | 'trailing-bytes'; reason: string };

interface DecodeOptions {
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

const TEXT_SLOTS = 1024;
/**
 * Short decoded texts by their bytes, so map keys and repeated values (intents, actors, enums)
 * come back as the same, already internalized string: caps repeat a few field names, and building
 * and interning each key anew cost more than the rest of the decode.
 */
const textSlots: ({ bytes: Uint8Array; text: string } | undefined)[] = new Array(TEXT_SLOTS);
/** the longest text the slots hold: one whose length fits in the head's initial byte */
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

/** The big-endian unsigned 32-bit integer at b[p]. */
export function uint32(b: Uint8Array, p: number): number {
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
