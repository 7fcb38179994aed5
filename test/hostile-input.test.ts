import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../adapters/memory/index.js';
import { parseCap, type CapContext } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import { MAX_PAYLOAD_DEPTH } from '../src/json-data.js';

/** Issue 13, items 2 and 5: hostile values are bad input naming their path, never a crash or an execution. */
const ctx: CapContext = { clock: manualClock(Date.UTC(2026, 0, 15)), ids: seededIds(21) };
const base = { actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool' };
const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { n: value };
  return value;
};
const cyclic = () => {
  const inner: Record<string, unknown> = { a: 1 };
  inner.self = inner;
  return { inner };
};

describe('parseCap refuses what is not JSON data, naming the path', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['a BigInt', () => ({ ...base, payload: { n: 10n } }), /^payload\.n: a BigInt is not JSON data/],
    ['a BigInt actor_id', () => ({ ...base, actor_id: 10n, payload: {} }), /^actor_id: a BigInt is not JSON data/],
    ['a function', () => ({ ...base, payload: { f: () => 1 } }), /^payload\.f: a function is not JSON data/],
    ['a symbol value', () => ({ ...base, payload: { s: Symbol('x') } }), /^payload\.s: a symbol is not JSON data/],
    ['a symbol key', () => ({ ...base, payload: { [Symbol('k')]: 1 } }), /^payload: a symbol key is not JSON data/],
    ['a Map', () => ({ ...base, payload: { m: new Map([[1, 2]]) } }), /^payload\.m: a Map is not JSON data \(only plain objects/],
    ['a Date', () => ({ ...base, payload: { d: new Date(0) } }), /^payload\.d: a Date is not JSON data/],
    ['a cycle', () => ({ ...base, payload: cyclic() }), /^payload\.inner\.self: a cycle/],
    ['5,000 levels', () => ({ ...base, payload: nested(5000) }), new RegExp(`^payload(\\.n)+: nested deeper than ${MAX_PAYLOAD_DEPTH} levels`)],
    ['NaN', () => ({ ...base, payload: { x: Number.NaN } }), /^payload\.x: NaN is not JSON data/],
    ['a lone surrogate in a value', () => ({ ...base, actor_id: 'a\ud800', payload: {} }), /^actor_id: a lone UTF-16 surrogate/],
    ['a lone surrogate in a key', () => ({ ...base, payload: { ['k\udc00']: 1 } }), /^payload\."k\\udc00": the key has a lone UTF-16 surrogate/],
    ['a __proto__ key', () => ({ ...base, payload: JSON.parse('{"__proto__": {"admin": true}}') }), /^payload\.__proto__: the key "__proto__" is refused/],
    [
      'a throwing getter',
      () => ({ ...base, payload: Object.defineProperty({}, 'g', { enumerable: true, get: () => { throw new Error('boom'); } }) }),
      /^payload\.g: cannot be read \(boom\)/,
    ],
    [
      'a Proxy whose traps throw',
      () => ({ ...base, payload: new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }) }),
      /^payload: cannot be read \(trap\)/,
    ],
    ['a Proxy as the cap', () => new Proxy(base, { get: () => { throw new Error('no'); } }), /cannot be read \(no\)/],
  ];
  it.each(cases)('%s', (_what, make, error) => {
    let parsed: ReturnType<typeof parseCap> | undefined;
    expect(() => (parsed = parseCap(make(), ctx))).not.toThrow();
    expect(parsed).toEqual({ ok: false, error: expect.stringMatching(error) });
  });

  it(`accepts a payload nested exactly ${MAX_PAYLOAD_DEPTH} levels, and a benign Proxy is read once as data`, () => {
    expect(parseCap({ ...base, payload: nested(MAX_PAYLOAD_DEPTH) }, ctx).ok).toBe(true);
    expect(parseCap({ ...base, payload: nested(MAX_PAYLOAD_DEPTH + 1) }, ctx).ok).toBe(false);
    let reads = 0;
    const proxy = new Proxy({ tool: 'search' }, { get: (target, key) => (reads++, Reflect.get(target, key)) });
    const parsed = parseCap({ ...base, payload: proxy }, ctx);
    expect(reads).toBe(1);
    expect(parsed).toMatchObject({ ok: true, cap: { payload: { tool: 'search' } } });
    expect(parsed.ok && parsed.cap.payload === proxy).toBe(false);
  });

  it('shared (non-cyclic) references are data', () => {
    const shared = { x: 1 };
    expect(parseCap({ ...base, payload: { a: shared, b: shared } }, ctx)).toMatchObject({ ok: true, cap: { payload: { a: { x: 1 }, b: { x: 1 } } } });
  });
});

describe('a bus refuses hostile root caps without executing them, and runs the good ones beside them', () => {
  it.each([
    ['actor_id 10n', { ...base, cap_id: 'cap_bad', created_at: '2026-01-15T00:00:00Z', actor_id: 10n, payload: {} }, /^invalid-cap: actor_id: a BigInt/],
    ['a cyclic payload', { ...base, cap_id: 'cap_bad', created_at: '2026-01-15T00:00:00Z', payload: cyclic() }, /^invalid-cap: payload\.inner\.self: a cycle/],
  ])('runRoots with %s', async (_what, bad, reason) => {
    const bus = createMemoryBus({ clock: ctx.clock, ids: seededIds(3) });
    const good = { ...base, cap_id: 'cap_good', created_at: '2026-01-15T00:00:00Z', payload: {} };
    const results = await bus.runRoots([bad as never, good as never, { cap: bad as never }], 1);
    expect(results.map((r) => r.receipt.outcome)).toEqual(['rejected', 'executed', 'rejected']);
    expect(results[0]!.receipt.payload).toMatchObject({ accepted: false, reason: expect.stringMatching(reason) });
    expect(results[2]!.receipt.payload).toMatchObject({ accepted: false, reason: expect.stringMatching(reason) });
    expect(results[0]!.distributed.cap.cap_id).toBe('cap_bad');
  });

  it('a root that is not a cap at all is refused too', async () => {
    const bus = createMemoryBus({ clock: ctx.clock, ids: seededIds(3) });
    const results = await bus.runRoots([null as never, { sealed: 'text' } as never], 1);
    expect(results.map((r) => r.receipt.payload.reason)).toEqual([
      expect.stringMatching(/^invalid-cap: \(record\): expected a cap object/),
      expect.stringMatching(/^invalid-submission: sealed must be the bytes of a COSE_Sign1 \(a Uint8Array\)/),
    ]);
  });
});

describe('the CLI: limits are named bad lines (exit 2), never exit 70', () => {
  const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'capbus-hostile-'));
  const run = (lines: string[]) => {
    const path = join(dir, `in-${Math.random().toString(16).slice(2)}.jsonl`);
    writeFileSync(path, lines.join('\n') + '\n');
    const r = spawnSync('node', [BIN, 'gateway-export', '--input', path], { encoding: 'utf8' });
    return { code: r.status, err: r.stderr, path };
  };
  const good = JSON.stringify({ ...base, payload: {} });

  it('a lone surrogate', () => {
    const r = run([good, '{"actor_id":"a\\ud800","intent":"agent.x","authority_ref":"sam:x","payload":{}}']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${r.path}:2: actor_id: a lone UTF-16 surrogate`);
  });

  it('a payload nested 300 levels', () => {
    const r = run([JSON.stringify({ ...base, payload: nested(300) })]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`:1: payload(\\.n)+: nested deeper than ${MAX_PAYLOAD_DEPTH} levels`));
  });

  it('a __proto__ key', () => {
    const r = run(['{"actor_id":"a","intent":"agent.x","authority_ref":"sam:x","payload":{"__proto__":{"x":1}}}']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(':1: payload.__proto__: the key "__proto__" is refused');
  });
});

describe('--help says the rules and limits', () => {
  it('trust binding, JSON data limits, duplicates and the replay window', () => {
    const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
    const help = spawnSync('node', [BIN, '--help'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('bound by the keyring to every identity the cap names');
    expect(help).toContain('a self-signed cap may not use a name the keyring binds to other keys');
    expect(help).toContain(`payload nested at most ${MAX_PAYLOAD_DEPTH} levels, well-formed Unicode, no "__proto__" keys`);
    expect(help).toContain('a cap_id seen twice in one --input file is a bad line naming both');
    expect(help).toContain('gets the first receipt and never runs twice');
  });
});
