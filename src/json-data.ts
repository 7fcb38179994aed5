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
  try {
    return { ok: true, value: new JsonCopier(limits).copy(value) };
  } catch (error) {
    if (error instanceof NotJsonData) return { ok: false, error: `${describePath(error.path)}: ${error.message}` };
    // anything else a value threw on the way (a RangeError from a hostile getter's own recursion)
    return { ok: false, error: `(record): cannot be read (${errorText(error)})` };
  }
}

/**
 * One reading. The path is a stack pushed and popped as the walk goes (copied only into an
 * error), and reads are guarded inline: caps pass through here on every entry point, sealed
 * ones included, so this stays cheap.
 */
class JsonCopier {
  private count = 0;
  private readonly path: string[] = [];
  private readonly open = new Set<object>();

  constructor(private readonly limits: JsonDataLimits) {}

  copy(item: unknown): unknown {
    if (++this.count > this.limits.maxValues) this.fail(`more than ${this.limits.maxValues} values`);
    switch (typeof item) {
      case 'string':
        if (!isWellFormed(item)) this.fail('a lone UTF-16 surrogate is not well-formed Unicode text');
        return item;
      case 'number':
        if (!Number.isFinite(item)) this.fail(`${item} is not JSON data (numbers must be finite)`);
        return item;
      case 'boolean':
        return item;
      case 'object':
        return item === null ? null : this.copyContainer(item);
      default:
        return this.fail(TYPE_PROBLEMS[typeof item]!);
    }
  }

  private copyContainer(item: object): unknown {
    if (this.open.has(item)) this.fail('a cycle: the value contains itself');
    if (this.path.length >= this.limits.maxDepth) this.fail(`nested deeper than ${this.limits.maxDepth - 1} levels`);
    let isArray: boolean;
    try {
      // throws on a revoked Proxy
      isArray = Array.isArray(item);
    } catch (error) {
      return this.unreadable(error);
    }
    this.open.add(item);
    const out = isArray ? this.copyArray(item as unknown[]) : this.copyObject(item);
    this.open.delete(item);
    return out;
  }

  private copyArray(items: readonly unknown[]): unknown[] {
    let length: number;
    try {
      length = items.length;
    } catch (error) {
      return this.unreadable(error);
    }
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) {
      this.path.push(String(i));
      let item: unknown;
      try {
        item = items[i];
      } catch (error) {
        this.unreadable(error);
      }
      out.push(this.copy(item));
      this.path.pop();
    }
    return out;
  }

  private copyObject(record: object): Record<string, unknown> {
    let keys: string[];
    let proto: object | null;
    let symbols: symbol[];
    try {
      proto = Object.getPrototypeOf(record) as object | null;
      keys = Object.keys(record);
      symbols = Object.getOwnPropertySymbols(record);
    } catch (error) {
      return this.unreadable(error);
    }
    if (proto !== Object.prototype && proto !== null) this.fail(`${kindOf(record, proto)} is not JSON data ${ONLY_JSON}`);
    if (symbols.length > 0 && symbols.some((s) => Object.prototype.propertyIsEnumerable.call(record, s))) {
      this.fail('a symbol key is not JSON data (keys are strings)');
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      this.path.push(key);
      if (!isWellFormed(key)) this.fail('the key has a lone UTF-16 surrogate (not well-formed Unicode text)');
      // JSON.parse makes `__proto__` an own key; assigning it anywhere else would swap a prototype or vanish
      if (key === '__proto__') this.fail('the key "__proto__" is refused (it would be dropped or change the object\'s prototype)');
      let item: unknown;
      try {
        item = (record as Record<string, unknown>)[key];
      } catch (error) {
        this.unreadable(error);
      }
      // as in JSON text: a field set to undefined is a field left out
      if (item !== undefined) out[key] = this.copy(item);
      this.path.pop();
    }
    return out;
  }

  private unreadable(error: unknown): never {
    return this.fail(`cannot be read (${errorText(error)})`);
  }

  private fail(problem: string): never {
    throw new NotJsonData([...this.path], problem);
  }
}

/** Native where the runtime has it (Node 20+, browsers since 2023); the regex says the same. */
const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !LONE_SURROGATE.test(text);

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
