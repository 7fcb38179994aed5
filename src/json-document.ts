/**
 * Writing large JSON documents as a run goes, byte for byte as `JSON.stringify(doc, null, 2)`
 * would have written them whole. A document is a skeleton (small values: summaries, constants)
 * whose big lists are `StreamedList`s: their items are written while the run goes on, either
 * straight to the output (nothing before them waits for the end of the run) or to a spool (the
 * document has summaries before them, known only once every result is in).
 */

/**
 * Where text goes (as a string, or already as UTF-8 bytes). A returned promise is backpressure:
 * write nothing more until it settles.
 */
export interface TextSink {
  write(text: string | Uint8Array): void | Promise<void>;
}

/** Text held back until the document's head can be written; a spool may keep it outside memory. */
export interface Spool extends TextSink {
  /** Writes everything spooled to `out`, in order, and frees the spool. */
  drain(out: TextSink): Promise<void>;
}

export type SpoolFactory = () => Spool;

/** Spools in memory: for library callers and small documents (the CLI spools to files). */
export const memorySpools: SpoolFactory = () => {
  let parts: (string | Uint8Array)[] = [];
  return {
    write: (text) => void parts.push(text),
    async drain(out) {
      const held = parts;
      parts = [];
      for (const part of held) await out.write(part);
    },
  };
};

const INDENT = '  ';
const marginAt = (depth: number) => '\n' + INDENT.repeat(depth);

/** `JSON.stringify(value, null, 2)` as it reads nested at `margin` (JSON text holds no raw newline but these). */
export const indentedAt = (text: string, margin: string) => (margin === '\n' ? text : text.replaceAll('\n', margin));

/**
 * `JSON.stringify(value, null, 2)` as it reads at `depth`, in one pass: the value is written
 * inside `depth` nested lists, whose brackets are then cut off.
 */
function nestedJson(value: unknown, depth: number): string {
  let wrapped = value;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  return depth === 0 ? text : text.slice(2 * depth + depth * (depth + 1), text.length - (2 * depth + (depth * (depth - 1))));
}

/** A list of a document, written item by item; it sits at `depth` (the document itself is depth 0). */
export class StreamedList<T = unknown> {
  private count = 0;
  private readonly itemMargin: string;

  /**
   * @param to where items go: the output (the list's opening must already be written) or a spool
   * @param stringify an item as standalone indented JSON (default `JSON.stringify(item, null, 2)`)
   */
  constructor(
    private readonly to: TextSink,
    readonly depth: number,
    private readonly stringify?: (item: T) => string,
  ) {
    this.itemMargin = marginAt(depth + 1);
  }

  get length(): number {
    return this.count;
  }

  add(item: T): void | Promise<void> {
    const text = this.stringify ? indentedAt(this.stringify(item), this.itemMargin) : nestedJson(item, this.depth + 1);
    return this.to.write(this.count++ === 0 ? this.itemMargin + text : ',' + this.itemMargin + text);
  }

  /** Writes the spooled items to `out` (a list written straight to the output has none to write). */
  async drainTo(out: TextSink): Promise<void> {
    if (!('drain' in this.to)) throw new Error('a list written straight to the output has nothing spooled');
    await (this.to as Spool).drain(out);
  }

  /** The text after the items. */
  close(): string {
    return this.count === 0 ? ']' : marginAt(this.depth) + ']';
  }
}

/** A document as text and lists, in order: a list part stands for `[`, its items and its close. */
export type DocumentPart = string | StreamedList<never>;

/**
 * The parts of `JSON.stringify(skeleton, null, 2)`, with every StreamedList left as a part of
 * its own. Only objects may hold lists (arrays in a skeleton are written whole).
 */
export function documentParts(skeleton: unknown): DocumentPart[] {
  const parts: DocumentPart[] = [];
  let text = '';
  const visit = (value: unknown, depth: number) => {
    if (value instanceof StreamedList) {
      if (value.depth !== depth) throw new Error(`a list written at depth ${value.depth} sits at depth ${depth} of its document`);
      parts.push(text + '[', value as StreamedList<never>);
      text = '';
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !holdsList(value)) {
      text += indentedAt(JSON.stringify(value, null, 2), marginAt(depth));
      return;
    }
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    text += '{';
    entries.forEach(([key, item], i) => {
      text += (i === 0 ? '' : ',') + marginAt(depth + 1) + JSON.stringify(key) + ': ';
      visit(item, depth + 1);
    });
    text += marginAt(depth) + '}';
  };
  visit(skeleton, 0);
  parts.push(text);
  return parts.filter((part) => part !== '');
}

function holdsList(value: object): boolean {
  return Object.values(value).some((item) => item instanceof StreamedList || (item !== null && typeof item === 'object' && !Array.isArray(item) && holdsList(item)));
}

/**
 * Writes the whole document at once: the run is over, and each list's items are in its spool
 * (a list whose items went straight to the output cannot be written this way).
 */
export async function writeDocument(out: TextSink, skeleton: unknown): Promise<void> {
  for (const part of documentParts(skeleton)) {
    if (typeof part === 'string') await out.write(part);
    else {
      await part.drainTo(out);
      await out.write(part.close());
    }
  }
}

/**
 * Starts a document whose one list is written straight to `out` as the run goes: writes what
 * precedes the list now; the returned function writes the rest once the run is over.
 */
export async function openDocument(out: TextSink, skeleton: unknown): Promise<() => Promise<void>> {
  const parts = documentParts(skeleton);
  const at = parts.findIndex((part) => typeof part !== 'string');
  if (at < 0 || parts.slice(at + 1).some((part) => typeof part !== 'string')) throw new Error('openDocument takes a skeleton with exactly one list');
  for (const part of parts.slice(0, at)) await out.write(part as string);
  const list = parts[at] as StreamedList<never>;
  return async () => {
    await out.write(list.close() + parts.slice(at + 1).join(''));
  };
}
