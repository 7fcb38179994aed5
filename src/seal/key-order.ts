/**
 * Per-shape work on record keys (their sorted order, their encodings), cached by first key:
 * records of one type are built with the same keys in the same order, so nearly every object
 * reuses what was worked out for the first one like it. A different shape under the same first
 * key simply replaces the entry.
 */
export function keyOrderCache<T>(build: (keys: readonly string[]) => T, limit = 4096): (keys: readonly string[]) => T {
  const entries = new Map<string, { built: readonly string[]; order: T }>();
  return (keys) => {
    const cached = entries.get(keys[0]!);
    if (cached !== undefined && sameKeys(cached.built, keys)) return cached.order;
    const order = build(keys);
    if (entries.size >= limit) entries.clear();
    entries.set(keys[0]!, { built: keys.slice(), order });
    return order;
  };
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
