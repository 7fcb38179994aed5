import { fromBase64 } from './bytes.js';
import { CapInputSchema, completeCap, describeIssues, type Cap, type CapContext } from './records/cap.js';
import { isPlainObject } from './json.js';

/** One usable line of a cap input file: a cap object, or sealed COSE_Sign1 bytes to open later. */
export type InputEntry = { line: number; kind: 'cap'; cap: Cap } | { line: number; kind: 'sealed'; bytes: Uint8Array };

export interface InputProblem {
  line: number;
  message: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads cap JSONL (one root per line, blank lines skipped). Every bad line is reported with its
 * number; good lines are kept, so the caller decides whether a bad line stops the batch.
 */
export function parseCapLines(text: string, ctx: CapContext): { entries: InputEntry[]; problems: InputProblem[] } {
  const entries: InputEntry[] = [];
  const problems: InputProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line, message: `not JSON (${(error as Error).message})` });
      return;
    }
    if (!isPlainObject(value)) {
      problems.push({ line, message: 'expected a JSON object (a cap, or {"sealed": "<base64>"})' });
      return;
    }
    if ('sealed' in value) {
      const sealed = value.sealed;
      if (Object.keys(value).length !== 1 || typeof sealed !== 'string' || sealed.length === 0 || !BASE64.test(sealed)) {
        problems.push({ line, message: 'a sealed line must be exactly {"sealed": "<base64 COSE_Sign1>"}' });
        return;
      }
      entries.push({ line, kind: 'sealed', bytes: fromBase64(sealed) });
      return;
    }
    const parsed = CapInputSchema.safeParse(value);
    if (!parsed.success) {
      problems.push({ line, message: describeIssues(parsed.error) });
      return;
    }
    entries.push({ line, kind: 'cap', cap: completeCap(parsed.data, ctx) });
  });
  return { entries, problems };
}
