import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { CapContext } from '../../src/records/cap.js';
import { CapIdLedger, parseCapLine, type InputEntry, type InputProblem } from '../../src/input.js';
import type { Root } from '../../src/pipeline/pipeline.js';
import { readLines, type InputLine } from './line-reader.js';

/** Input held before the run starts: a file no larger runs from memory and is read once. */
export const READ_AHEAD_BYTES = 8 * 1_048_576;
/** Bad lines named at most; the rest are counted. */
export const MAX_NAMED_PROBLEMS = 100;
/** Roots handed to the runner at a time. */
const BATCH = 256;

export interface CapInputOptions {
  maxLineBytes: number;
  /** where stdin comes from ("-"); defaults to process.stdin */
  stdin?: AsyncIterable<Uint8Array>;
  readAheadBytes?: number;
}

/** What an input file failed on: a message per bad line (the first MAX_NAMED_PROBLEMS), and how many there were. */
export class CapInputError extends Error {
  constructor(
    readonly problems: readonly InputProblem[],
    readonly count: number,
    readonly unreadable?: string,
  ) {
    super(unreadable ?? `${count} bad line(s)`);
  }
}

/** An input ready to run: its roots in batches, and how many there are when known up front. */
export interface CapInput {
  /** roots in the input, when known before the run (a regular file, or input within the read-ahead) */
  total?: number;
  batches: AsyncIterable<Root[]> | Iterable<Root[]>;
  /**
   * A bad line met after the run started (only on a pipe or device longer than the read-ahead):
   * the input stops there; the caller finishes what ran and reports it.
   */
  stoppedAt(): InputProblem | undefined;
}

const rootOf = (entry: InputEntry): Root => (entry.kind === 'cap' ? { cap: entry.cap } : { sealed: entry.bytes });

/**
 * Opens cap JSONL for a streamed run. As before streaming, an input with bad lines runs nothing:
 * a regular file is checked whole first (and read again for the run unless it fit in the
 * read-ahead), anything else (stdin, a FIFO, a device) is checked as far as the read-ahead goes.
 * Throws CapInputError when the input is unreadable or has bad lines.
 */
export async function openCapInput(path: string, ctx: CapContext, options: CapInputOptions): Promise<CapInput> {
  const readAhead = options.readAheadBytes ?? READ_AHEAD_BYTES;
  const regular = path !== '-' && (await statOrThrow(path)).isFile();
  const open = () => (path === '-' ? (options.stdin ?? process.stdin) : createReadStream(path, { highWaterMark: 1_048_576 }));
  const lines = readLines(guard(open(), path), options.maxLineBytes)[Symbol.asyncIterator]();
  // every cap_id of the input, so a duplicate is a bad line (a regular file is read whole here first)
  const ledger = new CapIdLedger();

  const held: Root[] = [];
  const problems: InputProblem[] = [];
  let badLines = 0;
  let heldBytes = 0;
  let holding = true;
  let roots = 0;
  let ended = false;
  // first pass: everything of a regular file, the read-ahead of anything else
  while (regular || heldBytes <= readAhead) {
    const next = await lines.next();
    if (next.done) {
      ended = true;
      break;
    }
    for (const item of next.value) {
      const parsed = parseInputLine(item, ctx, options.maxLineBytes, ledger);
      if (parsed === null) continue;
      if ('message' in parsed) {
        if (badLines++ < MAX_NAMED_PROBLEMS) problems.push(parsed);
        continue;
      }
      roots++;
      if (!holding) continue;
      held.push(rootOf(parsed));
      heldBytes += (item as { text: string }).text.length;
      // a regular file too large to hold is only checked now, and read again for the run
      if (regular && heldBytes > readAhead) {
        holding = false;
        held.length = 0;
      }
    }
  }
  if (badLines > 0) {
    await lines.return?.(undefined);
    throw new CapInputError(problems, badLines);
  }
  if (ended && holding) return { total: roots, batches: batchesOf(held), stoppedAt: () => undefined };
  if (regular) {
    const again = { [Symbol.asyncIterator]: () => readLines(guard(open(), path), options.maxLineBytes) };
    return { total: roots, batches: parsedBatches(again, ctx, options.maxLineBytes, () => {}), stoppedAt: () => undefined };
  }
  // a stream longer than the read-ahead: what was held, then the rest as it comes
  let stopped: InputProblem | undefined;
  const rest = { [Symbol.asyncIterator]: () => lines };
  async function* streamed() {
    yield* batchesOf(held.splice(0));
    yield* parsedBatches(rest, ctx, options.maxLineBytes, (problem) => (stopped = problem), ledger);
  }
  return { batches: streamed(), stoppedAt: () => stopped };
}

function parseInputLine(item: InputLine, ctx: CapContext, maxLineBytes: number, ledger?: CapIdLedger): InputEntry | InputProblem | null {
  if ('tooLong' in item) return { line: item.line, message: `line is longer than ${maxLineBytes} bytes (--max-line-bytes); not read further` };
  return parseCapLine(item.text, item.line, ctx, ledger);
}

function* batchesOf(roots: readonly Root[]): Generator<Root[]> {
  for (let i = 0; i < roots.length; i += BATCH) yield roots.slice(i, i + BATCH);
}

/** Parsed lines in batches; the first bad line ends the input (onBad hears of it). */
async function* parsedBatches(lines: AsyncIterable<InputLine[]>, ctx: CapContext, maxLineBytes: number, onBad: (problem: InputProblem) => void, ledger?: CapIdLedger): AsyncGenerator<Root[]> {
  let batch: Root[] = [];
  for await (const chunk of lines) {
    for (const item of chunk) {
      const parsed = parseInputLine(item, ctx, maxLineBytes, ledger);
      if (parsed === null) continue;
      if ('message' in parsed) {
        onBad(parsed);
        if (batch.length > 0) yield batch;
        return;
      }
      batch.push(rootOf(parsed));
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

async function statOrThrow(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    throw new CapInputError([], 0, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The stream's chunks; a read error becomes a CapInputError naming the input. */
async function* guard(chunks: AsyncIterable<Uint8Array>, path: string): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (error) {
    throw new CapInputError([], 0, `cannot read ${path === '-' ? 'standard input' : path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
