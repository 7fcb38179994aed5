import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatFixed, sortedJson } from '../src/json.js';

describe('sortedJson', () => {
  test.prop([fc.jsonValue()])('is valid JSON of the same value, compact and indented alike', (value) => {
    expect(JSON.parse(sortedJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(JSON.parse(sortedJson(value, 2))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(sortedJson(value, 2).replace(/\n\s*/g, '').replace(/": /g, '":')).toBe(sortedJson(value).replace(/": /g, '":'));
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
