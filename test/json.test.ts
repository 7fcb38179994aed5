import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatFixed, sortKeys, sortedJson } from '../src/json.js';

describe('sortedJson', () => {
  test.prop([fc.jsonValue()])('is valid JSON of the same value, compact and indented alike', (value) => {
    expect(JSON.parse(sortedJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(JSON.parse(sortedJson(value, 2))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(sortedJson(value, 2).replace(/\n\s*/g, '').replace(/": /g, '":')).toBe(sortedJson(value).replace(/": /g, '":'));
  });
  // few key names, so records of different shapes often share a first key (the key-order cache's index)
  const letterRecord = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.oneof(fc.integer(), fc.string(), fc.constant(null)), { maxKeys: 5 });
  test.prop([fc.array(fc.oneof(letterRecord, fc.array(letterRecord, { maxLength: 3 })), { maxLength: 12 })])('sorts every shape right, whatever came before it', (records) => {
    // without integer-like keys, a sorted copy keeps its order, so native JSON is an exact oracle
    for (const record of records) expect(sortedJson(record)).toBe(JSON.stringify(sortKeys(record)));
  });
  it('leaves out what JSON leaves out', () => {
    expect(sortedJson({ b: undefined, a: () => 1, c: Symbol('s'), d: [undefined, () => 1] })).toBe(JSON.stringify({ d: [undefined, () => 1] }));
    expect(sortedJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
  it('sorts keys at every depth, as a real string sort', () => {
    expect(sortedJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
    expect(sortedJson({ a: 1, '0': 2, '': 3 })).toBe('{"":3,"0":2,"a":1}');
    expect(sortedJson({ b: [1, {}], a: [] }, 2)).toBe('{\n  "a": [],\n  "b": [\n    1,\n    {}\n  ]\n}');
  });
});

describe('formatFixed (Python float formatting)', () => {
  it('rounds exact ties to even, like Python', () => {
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(3.5, 0)).toBe('4');
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
  });
  it('matches toFixed off ties', () => {
    expect(formatFixed(299.7, 0)).toBe('300');
    expect(formatFixed(0.1, 2)).toBe('0.10');
  });
});
