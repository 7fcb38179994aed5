import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Writable } from 'node:stream';
import type { Spool, SpoolFactory, TextSink } from '../../src/json-document.js';

/** Text gathered before one write to the stream: few large writes cost less than many small ones. */
const WRITE_BYTES = 256 * 1024;

/**
 * Text to a stream with backpressure: writes are gathered, and when the stream's buffer is full
 * the returned promise waits for it to drain, so a slow reader holds the run back instead of the
 * output piling up in memory.
 */
export function streamSink(stream: Writable): TextSink & { flush(): Promise<void> } {
  let pending = '';
  const send = (): void | Promise<void> => {
    const text = pending;
    pending = '';
    if (stream.write(text)) return;
    return new Promise((resolve) => {
      // a closed reader (EPIPE) ends the process elsewhere; do not wait for a drain that never comes
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  };
  return {
    write(text) {
      pending += text;
      if (pending.length >= WRITE_BYTES) return send();
    },
    async flush() {
      if (pending.length > 0) await send();
    },
  };
}

/** Spooled text kept in memory up to this size, then moved to a file. */
const SPOOL_MEMORY_BYTES = 1_048_576;
const READ_BYTES = 1_048_576;

/**
 * Spools for documents whose head waits for the whole run (governance, export-all): small ones
 * stay in memory, larger ones go to files in one temporary directory, removed by `cleanup`
 * (and when the process exits, whatever happens).
 */
export function fileSpools(): { spools: SpoolFactory; cleanup(): void } {
  let dir: string | undefined;
  const cleanup = () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  };
  let count = 0;
  const spools: SpoolFactory = () => {
    let held = '';
    let fd: number | undefined;
    let path = '';
    const spill = () => {
      if (fd === undefined) {
        if (dir === undefined) {
          dir = mkdtempSync(join(tmpdir(), 'capbus-spool-'));
          process.once('exit', cleanup);
        }
        path = join(dir, `${count++}.json`);
        fd = openSync(path, 'w+');
      }
      writeSync(fd, held);
      held = '';
    };
    const spool: Spool = {
      write(text) {
        held += text;
        if (held.length >= SPOOL_MEMORY_BYTES) spill();
      },
      async drain(out) {
        if (fd === undefined) {
          const text = held;
          held = '';
          if (text !== '') await out.write(text);
          return;
        }
        spill();
        const buffer = Buffer.allocUnsafe(READ_BYTES);
        const decoder = new StringDecoder('utf8');
        for (let position = 0; ; ) {
          const read = readSync(fd, buffer, 0, READ_BYTES, position);
          if (read === 0) break;
          position += read;
          await out.write(decoder.write(buffer.subarray(0, read)));
        }
        closeSync(fd);
        rmSync(path, { force: true });
        fd = undefined;
      },
    };
    return spool;
  };
  return { spools, cleanup };
}
