/**
 * JSON with object keys sorted at every depth, as the exports promise. Written directly rather
 * than via sorted copies: faster, and JS objects would put integer-like keys first again, where a
 * real sort (and Python's sort_keys) puts "" before "0" before "a".
 */
export function sortedJson(value: unknown, indent?: number): string {
  return writeSorted(value, indent ? ' '.repeat(indent) : '', '\n');
}

function writeSorted(value: unknown, step: string, margin: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  const inner = margin + step;
  const [open, colon] = step ? [inner, ': '] : ['', ':'];
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) parts.push(item === undefined || typeof item === 'function' ? 'null' : writeSorted(item, step, inner));
    return parts.length === 0 ? '[]' : '[' + open + parts.join(',' + open) + (step ? margin : '') + ']';
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined || typeof item === 'function') continue;
    parts.push(JSON.stringify(key) + colon + writeSorted(item, step, inner));
  }
  return parts.length === 0 ? '{}' : '{' + open + parts.join(',' + open) + (step ? margin : '') + '}';
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
