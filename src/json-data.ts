/**
 * JSON data, and only JSON data, from a value that came from outside (product.md §6): plain
 * objects, arrays, well-formed strings, finite numbers, booleans and null, nested at most
 * MAX_PAYLOAD_DEPTH levels. Library callers can hand in anything JS has (getters that throw,
 * Proxies, BigInt, Map, cycles), so the value is read exactly once into a fresh copy: what is
 * checked is what runs, and a Proxy cannot answer differently the second time it is asked.
 */

/** Deepest nesting of objects and arrays in a cap's payload (the payload itself is level 1). */
export const MAX_PAYLOAD_DEPTH = 64;
/**
 * Most values read from one record. A 1 MiB line holds fewer; the bound stops a library value
 * that shares one object many times over (a DAG that would copy into billions of values).
 */
export const MAX_JSON_VALUES = 1_000_000;

export type JsonDataRead = { ok: true; value: unknown } | { ok: false; error: string };

export interface JsonDataLimits {
  /** levels of objects and arrays below the root value */
  maxDepth: number;
  maxValues: number;
}

/** Lone surrogates only: with the `u` flag a well-formed pair is one code point, not two `Cs`. */
const LONE_SURROGATE = /\p{Cs}/u;
/** Keys that print bare in a path (as zod paths always did); others are quoted and escaped. */
const PLAIN_KEY = /^[A-Za-z0-9_$.:@+-]{1,64}$/;
const ONLY_JSON = '(only plain objects, arrays, strings, finite numbers, booleans and null are)';

/** Why a value is not JSON data, by its JS type (objects are told apart below). */
const TYPE_PROBLEMS: Readonly<Record<string, string>> = {
  bigint: `a BigInt is not JSON data ${ONLY_JSON}`,
  function: `a function is not JSON data ${ONLY_JSON}`,
  symbol: `a symbol is not JSON data ${ONLY_JSON}`,
  undefined: 'undefined is not JSON data (leave the field out, or use null)',
};

class NotJsonData extends Error {
  constructor(
    readonly path: readonly string[],
    problem: string,
  ) {
    super(problem);
  }
}

/** How a path prints in messages: `payload.list.0."odd key"`; keys are escaped so a message is always well-formed text. */
export function describePath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(record)';
  return path.map((key) => (typeof key === 'number' || PLAIN_KEY.test(key) ? String(key) : JSON.stringify(key.length > 64 ? key.slice(0, 64) + '…' : key))).join('.');
}

/** Reads `value` as JSON data into a fresh copy; never throws. */
export function readJsonData(value: unknown, limits: JsonDataLimits = { maxDepth: MAX_PAYLOAD_DEPTH + 1, maxValues: MAX_JSON_VALUES }): JsonDataRead {
  let count = 0;
  const open = new Set<object>();

  const copy = (item: unknown, path: string[]): unknown => {
    if (++count > limits.maxValues) throw new NotJsonData(path, `more than ${limits.maxValues} values`);
    if (item === null || typeof item === 'boolean') return item;
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item)) throw new NotJsonData(path, 'a lone UTF-16 surrogate is not well-formed Unicode text');
      return item;
    }
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) throw new NotJsonData(path, `${item} is not JSON data (numbers must be finite)`);
      return item;
    }
    if (typeof item !== 'object') throw new NotJsonData(path, TYPE_PROBLEMS[typeof item]!);
    if (open.has(item)) throw new NotJsonData(path, 'a cycle: the value contains itself');
    if (path.length >= limits.maxDepth) throw new NotJsonData(path, `nested deeper than ${limits.maxDepth - 1} levels`);
    open.add(item);
    try {
      // Array.isArray throws on a revoked Proxy
      return guarded(path, () => Array.isArray(item)) ? copyArray(item as unknown[], path) : copyObject(item, path);
    } finally {
      open.delete(item);
    }
  };

  const copyArray = (items: readonly unknown[], path: string[]): unknown[] => {
    const length = guarded(path, () => items.length);
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) {
      const itemPath = [...path, String(i)];
      out.push(copy(guarded(itemPath, () => items[i]), itemPath));
    }
    return out;
  };

  const copyObject = (record: object, path: string[]): Record<string, unknown> => {
    const { keys, symbols, proto } = guarded(path, () => ({
      keys: Object.keys(record),
      symbols: Object.getOwnPropertySymbols(record).filter((s) => Object.prototype.propertyIsEnumerable.call(record, s)),
      proto: Object.getPrototypeOf(record) as object | null,
    }));
    if (proto !== Object.prototype && proto !== null) throw new NotJsonData(path, `${kindOf(record, proto)} is not JSON data ${ONLY_JSON}`);
    if (symbols.length > 0) throw new NotJsonData(path, 'a symbol key is not JSON data (keys are strings)');
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const keyPath = [...path, key];
      if (LONE_SURROGATE.test(key)) throw new NotJsonData(keyPath, 'the key has a lone UTF-16 surrogate (not well-formed Unicode text)');
      // JSON.parse makes `__proto__` an own key; assigning it anywhere else would swap a prototype or vanish
      if (key === '__proto__') throw new NotJsonData(keyPath, 'the key "__proto__" is refused (it would be dropped or change the object\'s prototype)');
      const item = guarded(keyPath, () => (record as Record<string, unknown>)[key]);
      // as in JSON text: a field set to undefined is a field left out
      if (item !== undefined) out[key] = copy(item, keyPath);
    }
    return out;
  };

  try {
    return { ok: true, value: copy(value, []) };
  } catch (error) {
    if (error instanceof NotJsonData) return { ok: false, error: `${describePath(error.path)}: ${error.message}` };
    // a RangeError from a stack overflow in a hostile getter, or anything else a value threw on the way
    return { ok: false, error: `(record): cannot be read (${errorText(error)})` };
  }
}

/** Runs a read that may hit a getter or a Proxy trap; what it throws names the path. */
function guarded<T>(path: string[], read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof NotJsonData) throw error;
    throw new NotJsonData(path, `cannot be read (${errorText(error)})`);
  }
}

function kindOf(record: object, proto: object): string {
  const tag = Object.prototype.toString.call(record).slice(8, -1);
  if (tag !== 'Object') return `a ${tag}`;
  const name = guardedName(proto);
  return name ? `an instance of ${name}` : 'an object with a prototype';
}

function guardedName(proto: object): string | undefined {
  try {
    const name: unknown = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && PLAIN_KEY.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/** An error's message as well-formed, short text, whatever was thrown. */
export function errorText(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? error.message : String(error);
  } catch {
    text = 'a value that cannot be shown';
  }
  return JSON.stringify(text.slice(0, 200)).slice(1, -1);
}
