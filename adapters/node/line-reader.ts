/** A line of input (without its line break), or the note that it ran over the limit. */
export type InputLine = { line: number; text: string } | { line: number; tooLong: true };

/** The default of `--max-line-bytes` (product.md §6). */
export const DEFAULT_MAX_LINE_BYTES = 1_048_576;

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines as `text.split(/\r?\n/)` would (numbered from 1; a last line
 * without a line break counts, an empty one does not), a chunk's worth of lines at a time. A line
 * longer than `maxLineBytes` is reported as too long as soon as that many bytes are held, and
 * reading stops there: nothing more of it (a file without line breaks, /dev/zero) is read.
 */
export async function* readLines(chunks: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncGenerator<InputLine[]> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let line = 0;
  /** The held bytes and `tail` as one line; `broken`: a line break follows, so a CR before it goes too. */
  const text = (tail: Buffer, broken: boolean): string => {
    const whole = held.length === 0 ? tail : Buffer.concat([...held, tail]);
    held = [];
    heldBytes = 0;
    const end = broken && whole.length > 0 && whole[whole.length - 1] === CR ? whole.length - 1 : whole.length;
    return whole.toString('utf8', 0, end);
  };
  for await (const chunk of chunks) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: InputLine[] = [];
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE, start); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
      line++;
      // the line break's \r may stand just past the limit
      if (heldBytes + end - start > maxLineBytes + (bytes[end - 1] === CR ? 1 : 0)) {
        yield [...lines, { line, tooLong: true }];
        return;
      }
      lines.push({ line, text: text(bytes.subarray(start, end), true) });
      start = end + 1;
    }
    if (heldBytes + bytes.length - start > maxLineBytes + 1) {
      yield [...lines, { line: line + 1, tooLong: true }];
      return;
    }
    if (start < bytes.length) {
      // a copy: the stream may reuse its buffers
      held.push(Buffer.from(bytes.subarray(start)));
      heldBytes += bytes.length - start;
    }
    if (lines.length > 0) yield lines;
  }
  if (heldBytes > maxLineBytes) yield [{ line: line + 1, tooLong: true }];
  else if (heldBytes > 0) yield [{ line: line + 1, text: text(Buffer.alloc(0), false) }];
}
