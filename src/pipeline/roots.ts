import { CapSchema, describeIssues, type Cap } from '../records/cap.js';
import { errorText, readJsonData } from '../json-data.js';
import type { Submission } from './phases.js';
import { partialCap } from '../records/stand-in.js';

/**
 * What an outside caller hands the bus as a chain root (runRoots, runChain, submit): a cap
 * object, `{cap}` or `{sealed: bytes}`. Checked like every other entry point (product.md §6)
 * before anything is placed; the caps that run are fresh copies of what was checked.
 */
export type CheckedRoot =
  | { ok: true; root: { bare: Cap } | Submission }
  | { ok: false; code: 'invalid-cap' | 'invalid-submission'; error: string; partial?: Record<string, string> };

/** Checks a chain root from outside; never throws. */
export function checkRoot(value: unknown): CheckedRoot {
  if (value === null || typeof value !== 'object') {
    return { ok: false, code: 'invalid-cap', error: '(record): expected a cap object (or {cap} / {sealed} submission)' };
  }
  let shape: 'sealed' | 'cap' | 'bare';
  try {
    shape = 'sealed' in value ? 'sealed' : 'cap' in value && !('cap_id' in value) ? 'cap' : 'bare';
  } catch (error) {
    return { ok: false, code: 'invalid-cap', error: `(record): cannot be read (${errorText(error)})` };
  }
  if (shape === 'sealed') return checkSealed(value);
  const record = shape === 'cap' ? read(value, 'cap') : { ok: true as const, value };
  if (!record.ok) return { ok: false, code: 'invalid-cap', error: record.error };
  const cap = checkCap(record.value);
  if (!cap.ok) return { ok: false, code: 'invalid-cap', error: cap.error, partial: partialCap(record.value) };
  return { ok: true, root: shape === 'cap' ? { cap: cap.cap } : { bare: cap.cap } };
}

/** A complete cap (as `makeCap` builds them): JSON data, then the cap schema. */
export function checkCap(value: unknown): { ok: true; cap: Cap } | { ok: false; error: string } {
  const data = readJsonData(value);
  if (!data.ok) return data;
  const parsed = CapSchema.safeParse(data.value);
  return parsed.success ? { ok: true, cap: parsed.data } : { ok: false, error: describeIssues(parsed.error) };
}

function checkSealed(value: object): CheckedRoot {
  const sealed = read(value, 'sealed');
  if (!sealed.ok || !(sealed.value instanceof Uint8Array)) {
    return { ok: false, code: 'invalid-submission', error: 'sealed must be the bytes of a COSE_Sign1 (a Uint8Array)' };
  }
  // a copy, so the bytes verified are the bytes kept, whatever the caller does with its buffer
  return { ok: true, root: { sealed: sealed.value.slice() } };
}

function read(value: object, field: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: (value as Record<string, unknown>)[field] };
  } catch (error) {
    return { ok: false, error: `${field}: cannot be read (${errorText(error)})` };
  }
}
