const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex, the form hashes and key texts use on the wire. */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]!]!;
  return out;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_CODES = Uint8Array.from(BASE64_ALPHABET, (c) => c.charCodeAt(0));
/** base64 is ASCII, so a single-byte decoder turns the code units into a string in one native call */
const asciiText = new TextDecoder('latin1');
let base64Scratch = new Uint8Array(4096);

/** Standard base64 (with padding), written as ASCII codes into scratch space and decoded once. */
export function toBase64(bytes: Uint8Array): string {
  const length = Math.ceil(bytes.length / 3) * 4;
  if (base64Scratch.length < length) base64Scratch = new Uint8Array(length * 2);
  const out = base64Scratch;
  const whole = bytes.length - (bytes.length % 3);
  let i = 0;
  let j = 0;
  for (; i < whole; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[j++] = BASE64_CODES[v >> 18]!;
    out[j++] = BASE64_CODES[(v >> 12) & 63]!;
    out[j++] = BASE64_CODES[(v >> 6) & 63]!;
    out[j++] = BASE64_CODES[v & 63]!;
  }
  const rest = bytes.length - whole;
  if (rest > 0) {
    const v = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[j++] = BASE64_CODES[v >> 18]!;
    out[j++] = BASE64_CODES[(v >> 12) & 63]!;
    out[j++] = rest === 2 ? BASE64_CODES[(v >> 6) & 63]! : 61;
    out[j++] = 61;
  }
  return asciiText.decode(out.subarray(0, j));
}

/** Sextet of each code unit in either base64 alphabet (standard and URL-safe); -1 for anything else. */
const SEXTETS = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) SEXTETS[BASE64_CODES[i]!] = i;
SEXTETS['-'.charCodeAt(0)] = 62;
SEXTETS['_'.charCodeAt(0)] = 63;

/**
 * Forgiving base64 decoding, as Node's Buffer decodes: both alphabets, characters outside them
 * skipped, the first `=` ends the data, a lone trailing sextet dropped. Callers that need strict
 * text check it first.
 */
export function fromBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let count = 0;
  let j = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 61) break;
    const sextet = code < 128 ? SEXTETS[code]! : -1;
    if (sextet < 0) continue;
    bits = (bits << 6) | sextet;
    if (++count === 4) {
      out[j++] = bits >> 16;
      out[j++] = (bits >> 8) & 255;
      out[j++] = bits & 255;
      bits = 0;
      count = 0;
    }
  }
  if (count === 2) out[j++] = bits >> 4;
  else if (count === 3) {
    out[j++] = bits >> 10;
    out[j++] = (bits >> 2) & 255;
  }
  return out.subarray(0, j);
}

/** Parses hex (either case); null unless the text is an even number of hex digits. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Same length, same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytewise lexicographic order, the order RFC 8949 §4.2.1 sorts encoded map keys by. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/**
 * Small arrays are carved from a shared 8 KiB block, as Node's Buffer pool does: V8 gives every
 * fresh typed array over 64 bytes an ArrayBuffer of its own, which costs more than encoding a cap.
 * A kept array keeps its block alive; readers must honour byteOffset, as for any view.
 */
const BLOCK_BYTES = 8192;
let block = new ArrayBuffer(BLOCK_BYTES);
let blockUsed = 0;

export function pooledBytes(length: number): Uint8Array {
  if (length > BLOCK_BYTES / 4) return new Uint8Array(length);
  if (blockUsed + length > BLOCK_BYTES) {
    block = new ArrayBuffer(BLOCK_BYTES);
    blockUsed = 0;
  }
  const out = new Uint8Array(block, blockUsed, length);
  // 8-byte aligned, as a fresh array would be
  blockUsed += (length + 7) & ~7;
  return out;
}

/** A copy of `bytes` that owns no scratch space: pooled, see pooledBytes. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = pooledBytes(bytes.length);
  out.set(bytes);
  return out;
}
