const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex, the form hashes and key texts use on the wire. */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]!]!;
  return out;
}

/** Standard base64 of the bytes, read in place (Buffer.from on a Uint8Array would copy them first). */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
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
