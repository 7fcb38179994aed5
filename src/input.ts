import { fromBase64 } from './bytes.js';
import { completeCap, parseCapInput, type Cap, type CapContext } from './records/cap.js';
import { isPlainObject } from './json.js';
import { peekSealedCap } from './seal/peek.js';

/** One usable line of a cap input file: a cap object, or sealed COSE_Sign1 bytes to open later. */
export type InputEntry = { line: number; kind: 'cap'; cap: Cap } | { line: number; kind: 'sealed'; bytes: Uint8Array };

export interface InputProblem {
  line: number;
  message: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const BOM = '\uFEFF';

/** Editors on some platforms start a file with a byte-order mark; it is not part of the JSON. */
export function withoutBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

/**
 * Reads cap JSONL (one root per line, blank lines skipped). Every bad line is reported with its
 * number (a cap_id seen before names the line that had it first); good lines are kept, so the
 * caller decides whether a bad line stops the batch.
 */
export function parseCapLines(text: string, ctx: CapContext): { entries: InputEntry[]; problems: InputProblem[] } {
  const entries: InputEntry[] = [];
  const problems: InputProblem[] = [];
  const ledger = new CapIdLedger();
  text.split(/\r?\n/).forEach((raw, index) => {
    const parsed = parseCapLine(raw, index + 1, ctx, ledger);
    if (parsed === null) return;
    if ('message' in parsed) problems.push(parsed);
    else entries.push(parsed);
  });
  return { entries, problems };
}

/** One line of cap JSONL (without its line break): an entry, a problem, or null for a blank line. */
export function parseCapLine(raw: string, line: number, ctx: CapContext, ledger?: CapIdLedger): InputEntry | InputProblem | null {
  const parsed = parseLine(raw, line, ctx);
  return parsed === null || 'message' in parsed || ledger === undefined ? parsed : ledger.check(parsed);
}

/**
 * The cap_ids of one input: a second line with a cap_id seen before is a bad line naming the
 * first (a cap runs once). Sealed lines are peeked for their cap_id, unverified; an unreadable
 * seal has none to compare, and the bus refuses it with a receipt saying why.
 */
export class CapIdLedger {
  /** cap_id → the line that carried it first */
  private readonly seen = new Map<string, number>();

  check(entry: InputEntry): InputEntry | InputProblem {
    const peek = entry.kind === 'sealed' ? peekSealedCap(entry.bytes) : undefined;
    const capId = entry.kind === 'cap' ? entry.cap.cap_id : peek?.ok ? peek.capId : undefined;
    if (capId === undefined) return entry;
    const first = this.seen.get(capId);
    if (first === undefined) {
      this.seen.set(capId, entry.line);
      return entry;
    }
    return { line: entry.line, message: `duplicate cap_id ${capId}: line ${first} has the same cap_id (a cap runs once)` };
  }
}

function parseLine(raw: string, line: number, ctx: CapContext): InputEntry | InputProblem | null {
  // a byte-order mark opens the file only; anywhere else it stays an error, shown visibly
  if (line === 1) raw = withoutBom(raw);
  if (raw.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    const bom = raw.startsWith(BOM) ? ' — the line starts with a byte-order mark (U+FEFF)' : '';
    return { line, message: `not JSON (${JSON.stringify((error as Error).message).slice(1, -1)})${bom}` };
  }
  if (!isPlainObject(value)) return { line, message: 'expected a JSON object (a cap, or {"sealed": "<base64>"})' };
  if ('sealed' in value) {
    const sealed = value.sealed;
    if (Object.keys(value).length !== 1 || typeof sealed !== 'string' || sealed.length === 0 || !BASE64.test(sealed)) {
      return { line, message: 'a sealed line must be exactly {"sealed": "<base64 COSE_Sign1>"}' };
    }
    return { line, kind: 'sealed', bytes: fromBase64(sealed) };
  }
  const parsed = parseCapInput(value);
  if (!parsed.ok) return { line, message: parsed.error };
  return { line, kind: 'cap', cap: completeCap(parsed.input, ctx) };
}
