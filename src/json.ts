import { keyOrderCache } from './seal/key-order.js';

/**
 * JSON with object keys sorted at every depth, as the exports promise. Written directly rather
 * than via sorted copies: faster, and JS objects would put integer-like keys first again, where a
 * real sort (and Python's sort_keys) puts "" before "0" before "a".
 */
export function sortedJson(value: unknown, indent?: number): string {
  return indent ? writeIndented(value, ' '.repeat(indent), '\n') : writeCompact(value);
}

/** Per record shape: the keys in sorted order, and each as the `"key":` that precedes its value. */
const jsonKeyOrder = keyOrderCache((keys) => {
  const sorted = keys.slice().sort();
  return { sorted, labels: sorted.map((key) => JSON.stringify(key) + ':') };
});

/** What JSON.stringify leaves out of objects and writes as null in arrays. */
const isSkipped = (item: unknown) => item === undefined || typeof item === 'function' || typeof item === 'symbol';

/** Compact form, on the hot path of every export and gateway publish: one string, built as it goes. */
function writeCompact(value: unknown): string {
  if (value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out += (i === 0 ? '' : ',') + (isSkipped(item) ? 'null' : writeCompact(item));
    }
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 0) return '{}';
  const { sorted, labels } = jsonKeyOrder(keys);
  let out = '{';
  for (let i = 0; i < sorted.length; i++) {
    const item = record[sorted[i]!];
    if (isSkipped(item)) continue;
    out += (out.length === 1 ? '' : ',') + labels[i] + writeCompact(item);
  }
  return out + '}';
}

function writeIndented(value: unknown, step: string, margin: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  const inner = margin + step;
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) parts.push(isSkipped(item) ? 'null' : writeIndented(item, step, inner));
    return parts.length === 0 ? '[]' : '[' + inner + parts.join(',' + inner) + margin + ']';
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (isSkipped(item)) continue;
    parts.push(JSON.stringify(key) + ': ' + writeIndented(item, step, inner));
  }
  return parts.length === 0 ? '{}' : '{' + inner + parts.join(',' + inner) + margin + '}';
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Fixed-point formatting with Python's tie rule (round half to even on the exact binary value),
 * so reason strings such as `actor_trust_score=0.12` match the reference byte for byte.
 */
export function formatFixed(x: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = x * scale;
  const isExactTie = Number.isInteger(scaled * 2) && !Number.isInteger(scaled) && scaled / scale === x;
  if (!isExactTie) return x.toFixed(digits);
  const down = Math.floor(scaled);
  const even = down % 2 === 0 ? down : down + 1;
  return (even / scale).toFixed(digits);
}
