/** JSON with object keys sorted at every depth, as the JSONL exports promise. */
export function sortedJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
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
