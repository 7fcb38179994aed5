import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../adapters/memory/index.js';
import { cbomDocument } from '../src/exports/cbom.js';
import { manualClock, seededIds } from '../src/clock.js';
import { exportAll } from '../src/exports/export.js';
import { cbomWriter, exportAllWriter, gatewayJsonlWriter, gatewayJsonWriter, governanceWriter, resultsJsonWriter, textWriter, type ResultWriter } from '../src/exports/export-stream.js';
import { gatewayEvents, toJsonl } from '../src/exports/gateway-event.js';
import { governanceDocument } from '../src/exports/governance.js';
import { documentParts, memorySpools, openDocument, StreamedList, writeDocument, type TextSink } from '../src/json-document.js';
import { sortedJson } from '../src/json.js';
import { signingKeyFromSeed } from '../src/seal/keys.js';
import type { ExecutionResult } from '../src/records/result.js';
import { FIXED_START_MS, mixedRun } from './tools/runs.js';

/** Collects what is written; every third write answers with a promise, as a full pipe would. */
function collector(): TextSink & { text: () => string } {
  const parts: string[] = [];
  let writes = 0;
  return {
    write(text) {
      parts.push(typeof text === 'string' ? text : new TextDecoder().decode(text));
      return ++writes % 3 === 0 ? Promise.resolve() : undefined;
    },
    text: () => parts.join(''),
  };
}

async function streamed(make: (out: TextSink) => ResultWriter | Promise<ResultWriter>, results: readonly ExecutionResult[]): Promise<string> {
  const out = collector();
  const writer = await make(out);
  for (const result of results) await writer.add(result);
  await writer.end();
  return out.text();
}

const sealingRun = () => mixedRun(createMemoryBus({ clock: manualClock(FIXED_START_MS, 0.5), ids: seededIds(7), busKey: signingKeyFromSeed(new Uint8Array(32).fill(3)) }));
const pretty = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

describe('streamed exports print what the whole-run exports print', () => {
  for (const [name, run] of [['plain bus', () => mixedRun()], ['sealing bus', sealingRun], ['no results', async () => [] as ExecutionResult[]]] as const) {
    it(`${name}: every writer, byte for byte`, async () => {
      const results = await run();
      expect(await streamed(gatewayJsonlWriter, results)).toBe(toJsonl(gatewayEvents(results)));
      expect(await streamed(gatewayJsonWriter, results)).toBe(sortedJson(gatewayEvents(results), 2) + '\n');
      expect(await streamed((out) => governanceWriter(out, memorySpools), results)).toBe(pretty(governanceDocument(results)));
      expect(await streamed(cbomWriter, results)).toBe(pretty(cbomDocument(results)));
      expect(await streamed(resultsJsonWriter, results)).toBe(pretty(results));
      const key = 'ed25519:' + 'ab'.repeat(32);
      const sections = () => ({ twin_audit: { tokens: [{ a: 1 }], status: { ok: true } } });
      expect(await streamed((out) => exportAllWriter(out, memorySpools, key, sections), results)).toBe(pretty({ ...exportAll(results, key), ...sections() }));
      expect(await streamed((out) => exportAllWriter(out, memorySpools), results)).toBe(pretty(exportAll(results)));
      if (results.length > 0) expect(await streamed((out) => textWriter(out, (r) => r.receipt.receipt_id), results)).toBe(results.map((r) => r.receipt.receipt_id).join('\n') + '\n');
    });
  }
});

// objects of JSON values with some lists replaced by streamed ones, at any depth
const skeletonOf = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }).map((items) => ({ list: items })), tie('object')),
  object: fc.dictionary(fc.string({ maxLength: 4 }), tie('node'), { maxKeys: 4 }),
}));

/** The skeleton with each `{list: items}` marker replaced by `make(items, depth)`. */
function withLists(value: unknown, make: (items: unknown[], depth: number) => unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'list' && Array.isArray((value as { list: unknown }).list)) return make((value as { list: unknown[] }).list, depth);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withLists(item, make, depth + 1)]));
}

describe('JSON documents with streamed lists', () => {
  test.prop([skeletonOf.object])('a spooled document is JSON.stringify(document, null, 2)', async (skeleton) => {
    const lists: [StreamedList, unknown[]][] = [];
    const doc = withLists(skeleton, (items, depth) => {
      const list = new StreamedList(memorySpools(), depth);
      lists.push([list, items]);
      return list;
    });
    for (const [list, items] of lists) for (const item of items) await list.add(item);
    const out = collector();
    await writeDocument(out, doc);
    expect(out.text()).toBe(JSON.stringify(withLists(skeleton, (items) => items), null, 2));
  });

  it('a list written straight to the output: its head goes out first, the rest at the end', async () => {
    const out = collector();
    const list = new StreamedList(out, 2);
    const finish = await openDocument(out, { a: { n: 1, items: list, after: 'x' } });
    expect(out.text()).toBe('{\n  "a": {\n    "n": 1,\n    "items": [');
    await list.add({ k: [1] });
    await list.add(2);
    await finish();
    expect(out.text()).toBe(JSON.stringify({ a: { n: 1, items: [{ k: [1] }, 2], after: 'x' } }, null, 2));
  });

  it('refuses a list placed at another depth than it was written for', () => {
    expect(() => documentParts({ a: new StreamedList(memorySpools(), 2) })).toThrow(/depth 2 sits at depth 1/);
  });
});
