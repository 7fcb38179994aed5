/**
 * Checks an output too large to hold as it streams past: JSON structure (every bracket closed in
 * order, nothing after the value), lines that start with given prefixes counted, the last line kept.
 */
export class OutputCheck {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private values = 0;
  private rest = '';
  lastLine = '';
  problem: string | undefined;
  readonly counts: number[];

  /** @param jsonl true: every line is a JSON value of its own (checked with JSON.parse) */
  constructor(
    private readonly prefixes: readonly string[],
    private readonly jsonl = false,
  ) {
    this.counts = prefixes.map(() => 0);
  }

  feed(chunk: string): void {
    if (!this.jsonl) this.scan(chunk);
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  /** Call at the end; returns what is wrong, if anything. */
  end(): string | undefined {
    if (this.rest !== '') this.problem ??= `output does not end with a line break: ${JSON.stringify(this.rest.slice(-80))}`;
    if (!this.jsonl && (this.depth !== 0 || this.values !== 1)) this.problem ??= `not one complete JSON value (depth ${this.depth}, ${this.values} values)`;
    return this.problem;
  }

  private line(line: string): void {
    this.lastLine = line;
    for (let i = 0; i < this.prefixes.length; i++) if (line.startsWith(this.prefixes[i]!)) this.counts[i]!++;
    if (this.jsonl) {
      try {
        JSON.parse(line);
      } catch (error) {
        this.problem ??= `a line is not JSON: ${(error as Error).message}`;
      }
    }
  }

  private scan(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
      } else if (c === 0x22) {
        this.inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (this.depth === 0 && this.values++ > 0) this.problem ??= 'a second JSON value after the document';
        this.depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (--this.depth < 0) this.problem ??= 'a bracket closes what was never opened';
      }
    }
  }
}
