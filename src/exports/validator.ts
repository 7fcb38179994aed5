import type { z } from 'zod';
import { ATTESTATION_LAYERS, ROUTE_CLASSES } from '../records/cap.js';
import { GatewayEventSchema } from './gateway-event.js';
import { COFFEE_POLICIES } from '../policy/coffee.js';
import { isPlainObject } from '../json.js';
import { COLLISION_POLICIES } from '../policy/lane.js';

/**
 * The gateway-event contract check of behaviour.md §9. Messages, their order and the way values
 * are printed match the Python reference byte for byte, because ingest pipelines compare them.
 * The reference lets through records its own schema rejects; the strict rules (the default) add
 * the rest of the schema after its checks, and `original` keeps its verdicts exactly.
 */

/** Must be present and neither null nor "" (other falsy values such as 0 or false count as given). */
export const REQUIRED_FIELDS = [
  'event_id',
  'observation_layer',
  'timestamp',
  'operation_id',
  'agent_id',
  'intent',
  'provider',
  'model',
  'route_class',
  'surface',
  'transport',
  'status',
  'latency_ms',
  'lane_class',
  'lane_collision_policy',
  'coffee_lane_policy',
  'attestation_layer',
  '_emitter',
] as const;

/** Checked in this order once every required field is given. */
const ENUM_RULES: readonly (readonly [field: string, allowed: readonly string[]])[] = [
  ['observation_layer', ['tibet-gateway']],
  ['route_class', ROUTE_CLASSES],
  ['lane_collision_policy', COLLISION_POLICIES],
  ['coffee_lane_policy', COFFEE_POLICIES],
  ['attestation_layer', ATTESTATION_LAYERS],
];

type Fields = Record<string, unknown>;

/** Own fields only, so a record named `constructor` or `__proto__` reads as data. */
const get = (record: Fields, field: string): unknown => (Object.hasOwn(record, field) ? record[field] : undefined);
/** Python's `record.get(f) is not None`: present with a non-null value. */
const given = (record: Fields, field: string) => get(record, field) !== undefined && get(record, field) !== null;
const numericWhenGiven = (field: string) => ({
  message: `${field} must be numeric when present`,
  // booleans are not numbers here (unlike Python's isinstance(True, int))
  fails: (r: Fields) => given(r, field) && typeof get(r, field) !== 'number',
});

/** Checked in this order after the enums; each rule adds its message when it fails. */
const TYPE_RULES: readonly { field: string; message: string; fails: (record: Fields) => boolean }[] = [
  ...['latency_ms', 'lane_priority', 'time_diff_seconds', 'diff_threshold_seconds'].map((field) => ({ field, ...numericWhenGiven(field) })),
  // the key alone triggers the check: `"verified": null` is an error
  { field: 'verified', message: 'verified must be boolean when present', fails: (r) => Object.hasOwn(r, 'verified') && typeof r.verified !== 'boolean' },
  { field: 'agent_id', message: 'agent_id must be a string', fails: (r) => pythonTruthy(get(r, 'agent_id')) && typeof get(r, 'agent_id') !== 'string' },
  { field: 'actor_aint', message: 'actor_aint must be a string when present', fails: (r) => given(r, 'actor_aint') && typeof get(r, 'actor_aint') !== 'string' },
  // arrays are not objects
  { field: 'payload', message: 'payload must be an object when present', fails: (r) => given(r, 'payload') && !isPlainObject(get(r, 'payload')) },
];

/**
 * `original`: exactly the reference's checks and verdicts. `strict` (the default): those, then
 * the rest of the published schema (schemas/gateway-event.v1.schema.json) in the same style.
 */
export const VALIDATION_RULES = ['strict', 'original'] as const;
export type ValidationRules = (typeof VALIDATION_RULES)[number];

/** The errors of one record, in contract order; empty when it is valid. */
export function validateGatewayEvent(record: unknown, rules: ValidationRules = 'strict'): string[] {
  // The reference assumes a dict; anything else gets one clear message instead of a crash.
  if (!isPlainObject(record)) return ['record must be an object'];
  const original = originalErrors(record);
  return rules === 'original' ? original.errors : [...original.errors, ...schemaErrors(record, original.flagged)];
}

/** The reference's checks, and the fields they found fault with (the strict rules say nothing more about those). */
function originalErrors(record: Fields): { errors: string[]; flagged: Set<string> } {
  const flagged = new Set<string>();
  const missing = REQUIRED_FIELDS.flatMap((field) => {
    if (!Object.hasOwn(record, field)) return [`missing required field: ${field}`];
    const value = record[field];
    return value === null || value === '' ? [`required field is empty: ${field}`] : [];
  });
  // Without the required fields the remaining checks would only repeat the same problem.
  if (missing.length > 0) return { errors: missing, flagged: new Set(REQUIRED_FIELDS) };
  const errors: string[] = [];
  for (const [field, allowed] of ENUM_RULES) {
    const value = record[field];
    if (typeof value !== 'string' || !allowed.includes(value)) {
      errors.push(`invalid ${field}: ${pythonStr(value)} (expected one of ${pythonRepr([...allowed].sort())})`);
      flagged.add(field);
    }
  }
  for (const rule of TYPE_RULES) {
    if (!rule.fails(record)) continue;
    errors.push(rule.message);
    flagged.add(rule.field);
  }
  return { errors, flagged };
}

/**
 * The schema's word for what a field holds, read from the zod schema itself (the one the JSON
 * Schema file is generated from), so the two cannot drift apart.
 */
function expectation(schema: z.ZodType): string | undefined {
  const def = schema.def as { type: string; innerType?: z.ZodType };
  if (def.type === 'nullable' && def.innerType) {
    const inner = expectation(def.innerType);
    return inner === undefined ? undefined : `${inner} or null`;
  }
  return EXPECTATIONS[def.type];
}

/** Enums and constants are the original's enum checks; these are the plain types. */
const EXPECTATIONS: Readonly<Record<string, string>> = { string: 'a string', number: 'numeric', boolean: 'boolean', record: 'an object' };

/** In schema order: every field the schema requires, and the type it requires, as `(field, must be …)`. */
const SCHEMA_RULES = Object.entries(GatewayEventSchema.shape).map(([field, schema]) => ({
  field,
  schema: schema as z.ZodType,
  expected: expectation(schema as z.ZodType),
}));

/** The schema's checks on fields the original let pass: missing ones first, then wrong types. */
function schemaErrors(record: Fields, flagged: ReadonlySet<string>): string[] {
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const { field, schema, expected } of SCHEMA_RULES) {
    if (flagged.has(field)) continue;
    if (!Object.hasOwn(record, field)) missing.push(`missing required field: ${field}`);
    else if (!schema.safeParse(record[field]).success) wrong.push(`${field} must be ${expected ?? 'as the schema says'}`);
  }
  return [...missing, ...wrong];
}

/** The errors of a list of records, each prefixed `record[<index>]: `. */
export function validateGatewayEvents(records: readonly unknown[], rules: ValidationRules = 'strict'): string[] {
  return records.flatMap((record, index) => validateGatewayEvent(record, rules).map((error) => `record[${index}]: ${error}`));
}

// ---- Python rendering: how an f-string `{value}` shows a JSON-decoded value ----

/** Python truthiness of a JSON value: None, False, 0, "", [] and {} are false. */
function pythonTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** `str(value)`: strings print bare, everything else as its repr. */
function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

/**
 * `repr(value)` for what `json.loads` yields. JSON numbers lose the int/float distinction in JS,
 * so integral values print as ints (`1.0` shows as `1`); dict keys print in JS property order,
 * which puts integer-like keys first.
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'string') return pythonStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isPlainObject(value)) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${pythonStringRepr(key)}: ${pythonRepr(item)}`)
      .join(', ')}}`;
  }
  return String(value);
}

function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n) || Math.abs(n) >= 1e-4) return String(n);
  // Python switches to exponent form below 1e-4 (JS only below 1e-6) and pads the exponent to two digits.
  return n.toExponential().replace(/e([+-])(\d)$/, (_, sign: string, digit: string) => `e${sign}0${digit}`);
}

/** Python's non-printable characters: controls, format, surrogates, unassigned, separators other than ' '. */
const NON_PRINTABLE = /^[\p{C}\p{Z}]$/u;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function pythonStringRepr(s: string): string {
  // Python prefers single quotes and switches only when that avoids escaping.
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let body = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === quote) body += `\\${ch}`;
    else if (SIMPLE_ESCAPES[ch] !== undefined) body += SIMPLE_ESCAPES[ch];
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      const hex = code.toString(16);
      body += code < 0x100 ? `\\x${hex.padStart(2, '0')}` : code < 0x10000 ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`;
    } else body += ch;
  }
  return quote + body + quote;
}

// ---- Input loading ----

export type GatewayLoad = { ok: true; records: unknown[] } | { ok: false; error: string };

/**
 * Reads records from the text of `source` (a file name, or `-` for standard input): a `.json`
 * file holds a JSON list or an object with a `gateway_events` list; anything else is JSONL with
 * blank lines skipped. Errors name the file, line and column.
 */
export function loadGatewayEvents(text: string, source: string): GatewayLoad {
  const name = source === '-' ? '<stdin>' : source;
  // editors on some platforms prepend a byte-order mark; it is not part of the JSON
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return source.endsWith('.json') ? loadJsonDocument(body, name) : loadJsonLines(body, name);
}

function loadJsonDocument(text: string, name: string): GatewayLoad {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { line, column } = lineColumn(text, parsed.offset);
    return { ok: false, error: `${name}:${line}:${column}: invalid JSON: ${parsed.problem}` };
  }
  const data = parsed.value;
  if (Array.isArray(data)) return { ok: true, records: data };
  if (isPlainObject(data) && Array.isArray(data.gateway_events)) return { ok: true, records: data.gateway_events };
  return { ok: false, error: `${name}: expected a JSON list of records or an object with a "gateway_events" list` };
}

function loadJsonLines(text: string, name: string): GatewayLoad {
  const records: unknown[] = [];
  const problems: string[] = [];
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const parsed = parseJson(line);
    if (parsed.ok) records.push(parsed.value);
    else problems.push(`${name}:${index + 1}:${raw.length - raw.trimStart().length + parsed.offset + 1}: invalid JSON: ${parsed.problem}`);
  });
  // every bad line is named at once, so a file is fixed in one pass
  return problems.length > 0 ? { ok: false, error: problems.join('\n') } : { ok: true, records };
}

type JsonParse = { ok: true; value: unknown } | { ok: false; offset: number; problem: string };

function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // JSON.parse names the problem but not always where; the scanner finds the spot.
    const offset = syntaxErrorOffset(text);
    return { ok: false, offset, problem: offset >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text.charAt(offset))}` };
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Offset of the first JSON (RFC 8259) syntax error in `text`. Iterative, so deeply nested input
 * cannot overflow the stack. Only called on text JSON.parse rejected.
 */
function syntaxErrorOffset(text: string): number {
  let i = 0;
  const skipSpace = () => {
    while (/^[ \t\n\r]$/.test(text.charAt(i))) i++;
  };
  /** Consumes a string at `i`; on failure `i` is left at the offending character. */
  const string = (): boolean => {
    if (text.charAt(i) !== '"') return false;
    for (i++; i < text.length; i++) {
      const ch = text.charAt(i);
      if (ch === '"') {
        i++;
        return true;
      }
      if (ch < ' ') return false;
      if (ch === '\\') {
        i++;
        if (text.charAt(i) === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) return false;
          i += 4;
        } else if (!/^["\\/bfnrt]$/.test(text.charAt(i))) return false;
      }
    }
    return false;
  };
  const scalar = (): boolean => {
    if (text.charAt(i) === '"') return string();
    const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
    if (word) {
      i += word.length;
      return true;
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) return false;
    i = NUMBER.lastIndex;
    return true;
  };
  const key = (): boolean => {
    skipSpace();
    if (!string()) return false;
    skipSpace();
    if (text.charAt(i) !== ':') return false;
    i++;
    return true;
  };
  const open: string[] = [];
  for (;;) {
    // a value is expected at i
    skipSpace();
    const c = text.charAt(i);
    if (c === '{' || c === '[') {
      i++;
      skipSpace();
      const close = c === '{' ? '}' : ']';
      if (text.charAt(i) === close) i++;
      else {
        open.push(close);
        if (c === '{' && !key()) return i;
        continue;
      }
    } else if (!scalar()) return i;
    // a value ended: close containers until a comma asks for the next value
    for (;;) {
      skipSpace();
      const close = open[open.length - 1];
      if (close === undefined) return i; // trailing text after a complete document
      const ch = text.charAt(i);
      if (ch === close) {
        i++;
        open.pop();
      } else if (ch === ',') {
        i++;
        if (close === '}' && !key()) return i;
        break;
      } else return i;
    }
  }
}
