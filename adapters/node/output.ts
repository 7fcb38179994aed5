import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Spool, SpoolFactory, TextSink } from '../../src/json-document.js';

/** Bytes gathered before one write: few large writes cost less than many small ones. */
const GATHER_BYTES = 256 * 1024;

/**
 * Texts encoded one after another into a buffer of `size` bytes, straight from each string (no
 * joined copy); `take` hands the bytes on and starts a fresh buffer (the last one may still be
 * on its way to the stream).
 */
export class ByteGather {
  private buffer: Buffer;
  private used = 0;

  constructor(private readonly size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** Whether `text` surely fits (UTF-8 takes at most 3 bytes per UTF-16 unit). */
  fits(text: string): boolean {
    return this.used + text.length * 3 <= this.size;
  }

  add(text: string): void {
    this.used += this.buffer.write(text, this.used);
  }

  take(): Buffer {
    const bytes = this.buffer.subarray(0, this.used);
    this.buffer = Buffer.allocUnsafe(this.size);
    this.used = 0;
    return bytes;
  }

  get empty(): boolean {
    return this.used === 0;
  }
}

/**
 * Text to a stream with backpressure: small writes are gathered, and when the stream's buffer is
 * full the returned promise waits for it to drain, so a slow reader holds the run back instead
 * of the output piling up in memory.
 */
export function streamSink(stream: Writable): TextSink & { flush(): Promise<void> } {
  const gathered = new ByteGather(GATHER_BYTES);
  const send = (chunk: string | Uint8Array): void | Promise<void> => {
    if (stream.write(chunk)) return;
    return new Promise((resolve) => {
      // a reader that went away (EPIPE) ends the process elsewhere; never wait on it here
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  };
  const sendBoth = (first: Uint8Array, then: string | Uint8Array) => {
    const before = send(first);
    return before === undefined ? send(then) : before.then(() => send(then));
  };
  return {
    write(chunk) {
      if (typeof chunk === 'string' && gathered.fits(chunk)) return void gathered.add(chunk);
      if (gathered.empty) return send(chunk);
      if (typeof chunk === 'string' && chunk.length * 3 < GATHER_BYTES) {
        const full = gathered.take();
        gathered.add(chunk);
        return send(full);
      }
      return sendBoth(gathered.take(), chunk);
    },
    async flush() {
      if (!gathered.empty) await send(gathered.take());
    },
  };
}

/** Spooled text kept in memory up to this many characters, then moved to a file. */
const SPOOL_MEMORY_CHARS = 1_048_576;
const SPOOL_BUFFER_BYTES = 1_048_576;
const READ_BYTES = 1_048_576;

/**
 * Spools for documents whose head waits for the whole run (governance, export-all): small ones
 * stay in memory, larger ones go to files in one temporary directory, removed as each is
 * drained, and with the directory by `cleanup` (or when the process exits, however it does).
 */
export function fileSpools(): { spools: SpoolFactory; cleanup(): void } {
  let dir: string | undefined;
  let count = 0;
  const cleanup = () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  };
  const spools: SpoolFactory = () => {
    // in memory until the first spill, then a file with a buffer in front of it
    let held: string[] = [];
    let heldChars = 0;
    let file: { fd: number; path: string; gathered: ByteGather } | undefined;
    const toFile = (text: string) => {
      if (file === undefined) {
        if (dir === undefined) {
          dir = mkdtempSync(join(tmpdir(), 'capbus-spool-'));
          process.once('exit', cleanup);
          // interrupted: remove the files, then end as the signal would have
          for (const signal of ['SIGINT', 'SIGTERM'] as const) {
            process.once(signal, () => {
              cleanup();
              process.kill(process.pid, signal);
            });
          }
        }
        const path = join(dir, `${count++}.json`);
        file = { fd: openSync(path, 'w+', 0o600), path, gathered: new ByteGather(SPOOL_BUFFER_BYTES) };
      }
      const { fd, gathered } = file;
      if (gathered.fits(text)) return gathered.add(text);
      if (!gathered.empty) writeSync(fd, gathered.take());
      if (gathered.fits(text)) gathered.add(text);
      else writeSync(fd, text);
    };
    const spool: Spool = {
      write(chunk) {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
        if (file !== undefined) return toFile(text);
        held.push(text);
        heldChars += text.length;
        if (heldChars < SPOOL_MEMORY_CHARS) return;
        for (const part of held) toFile(part);
        held = [];
        heldChars = 0;
      },
      async drain(out) {
        if (file === undefined) {
          const text = held.join('');
          held = [];
          heldChars = 0;
          if (text !== '') await out.write(text);
          return;
        }
        const { fd, path, gathered } = file;
        file = undefined;
        if (!gathered.empty) writeSync(fd, gathered.take());
        // bytes as they are: the output is UTF-8 too
        for (let position = 0; ; ) {
          const buffer = Buffer.allocUnsafe(READ_BYTES);
          const read = readSync(fd, buffer, 0, READ_BYTES, position);
          if (read === 0) break;
          position += read;
          await out.write(buffer.subarray(0, read));
        }
        closeSync(fd);
        rmSync(path, { force: true });
      },
    };
    return spool;
  };
  return { spools, cleanup };
}
