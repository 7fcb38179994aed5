/**
 * Where CBOR bytes are written: one growable writer with the head encoding, and scratch writers
 * lent to one encode at a time. The payload encoder and the COSE Sig_structure both write here.
 */

/** A growable byte buffer with CBOR's item head. */
export class Writer {
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

  head(major: number, n: number): void {
    this.ensure(9);
    this.pos = putHead(this.buf, this.pos, major, n);
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

  /** The bytes written so far, as a view. */
  written(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** How many bytes the head of an item with argument `n` takes in its shortest form. */
export function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
}

/**
 * Writes an item's initial byte plus argument in the shortest form (RFC 8949 §4.2.1 "preferred
 * serialization") at `at`, which must have room for headLength(n) bytes; returns where it ends.
 */
export function putHead(buf: Uint8Array, at: number, major: number, n: number): number {
  const m = major << 5;
  if (n < 24) {
    buf[at] = m | n;
    return at + 1;
  }
  if (n < 0x100) {
    buf[at] = m | 24;
    buf[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    buf[at] = m | 25;
    buf[at + 1] = n >>> 8;
    buf[at + 2] = n & 0xff;
    return at + 3;
  }
  if (n < 0x100000000) {
    buf[at] = m | 26;
    putUint32(buf, at + 1, n);
    return at + 5;
  }
  buf[at] = m | 27;
  putUint32(buf, at + 1, Math.floor(n / 0x100000000));
  putUint32(buf, at + 5, n >>> 0);
  return at + 9;
}

function putUint32(buf: Uint8Array, at: number, n: number): void {
  buf[at] = n >>> 24;
  buf[at + 1] = (n >>> 16) & 0xff;
  buf[at + 2] = (n >>> 8) & 0xff;
  buf[at + 3] = n & 0xff;
}

/** Above this size a scratch writer is dropped after use rather than kept. */
const SCRATCH_KEEP = 1 << 20;

/**
 * One writer lent to one encode at a time, so the hot path allocates nothing: take() it, write,
 * use the bytes, give() it back. An encode started while it is lent out (a backend sealing from
 * inside a verify) gets a writer of its own.
 */
export class Scratch {
  private writer: Writer;
  private lent = false;

  constructor(private readonly size: number) {
    this.writer = new Writer(size);
  }

  take(): Writer {
    if (this.lent) return new Writer(256);
    const w = this.writer;
    w.pos = 0;
    this.lent = true;
    return w;
  }

  give(w: Writer): void {
    if (w !== this.writer) return;
    this.lent = false;
    if (w.buf.length > SCRATCH_KEEP) this.writer = new Writer(this.size);
  }
}
