import { fc, test } from '@fast-check/vitest';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLines, type InputLine } from '../adapters/node/line-reader.js';
import { fileSpools, streamSink } from '../adapters/node/output.js';

async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
    if (cut > at) yield bytes.subarray(at, cut);
    at = cut;
  }
}

async function lines(bytes: Uint8Array, cuts: number[], max: number): Promise<InputLine[]> {
  const out: InputLine[] = [];
  for await (const batch of readLines(chunked(bytes, cuts), max)) out.push(...batch);
  return out;
}

describe('readLines', () => {
  const text = fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('\n', '\r\n', 'é', '€', '😀', '\r')), { maxLength: 30 }).map((parts) => parts.join(''));
  test.prop([text, fc.array(fc.nat({ max: 200 }), { maxLength: 8 })])('splits as text.split(/\\r?\\n/) does, wherever the chunks break', async (input, cuts) => {
    const expected = input.split(/\r?\n/).map((line, i) => ({ line: i + 1, text: line }));
    // a last line with nothing in it is no line
    if (expected.at(-1)!.text === '') expected.pop();
    expect(await lines(new TextEncoder().encode(input), cuts, 1 << 20)).toEqual(expected);
  });

  it('names a line over the limit and reads nothing after it', async () => {
    const input = new TextEncoder().encode(`ok\n${'x'.repeat(50)}\nnever\n`);
    for (const cuts of [[], [5], [3, 20, 40]]) {
      expect(await lines(input, cuts, 10)).toEqual([{ line: 1, text: 'ok' }, { line: 2, tooLong: true }]);
    }
    // exactly at the limit is fine, a CR before the line break does not count
    expect(await lines(new TextEncoder().encode('abc\r\nabcd'), [], 3)).toEqual([{ line: 1, text: 'abc' }, { line: 2, tooLong: true }]);
  });

  it('stops reading an endless line as soon as the limit is passed', async () => {
    let read = 0;
    async function* zeros() {
      for (;;) {
        read += 1024;
        yield new Uint8Array(1024);
      }
    }
    const out: InputLine[] = [];
    for await (const batch of readLines(zeros(), 10_000)) out.push(...batch);
    expect(out).toEqual([{ line: 1, tooLong: true }]);
    expect(read).toBeLessThanOrEqual(12 * 1024);
  });
});

describe('Node output', () => {
  it('streamSink waits for a full stream to drain, and keeps the order of text and bytes', async () => {
    const got: Buffer[] = [];
    let pending = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        pending++;
        setTimeout(() => {
          got.push(chunk);
          pending--;
          done();
        }, 1);
      },
    });
    const sink = streamSink(slow);
    let waited = 0;
    const parts: (string | Uint8Array)[] = [];
    for (let i = 0; i < 200; i++) parts.push(i % 7 === 0 ? new TextEncoder().encode(`<${i}>`) : `${i}é`.repeat(i * 40));
    for (const part of parts) {
      const wait = sink.write(part);
      if (wait) {
        waited++;
        await wait;
      }
    }
    await sink.flush();
    await new Promise<void>((resolve) => slow.end(resolve));
    expect(pending).toBe(0);
    expect(waited).toBeGreaterThan(0);
    expect(Buffer.concat(got).toString('utf8')).toBe(parts.map((p) => (typeof p === 'string' ? p : new TextDecoder().decode(p))).join(''));
  });

  it('file spools give back what was written, in memory or spilled to a file', async () => {
    const { spools, cleanup } = fileSpools();
    try {
      for (const size of [10, 3_000_000]) {
        const spool = spools();
        const parts = Array.from({ length: 100 }, (_, i) => `${i}:€😀`.repeat(Math.ceil(size / 100 / 8)));
        for (const part of parts) spool.write(part);
        const out: Buffer[] = [];
        await spool.drain({ write: (chunk) => void out.push(Buffer.from(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) });
        expect(Buffer.concat(out).toString('utf8')).toBe(parts.join(''));
      }
    } finally {
      cleanup();
    }
  });
});
