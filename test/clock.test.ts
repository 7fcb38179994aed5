import { fc, test as property } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isoTimestamp, parseIsoTimestamp } from '../src/clock.js';

describe('parseIsoTimestamp', () => {
  it('reads the form caps carry, and the other forms the reference accepts', () => {
    expect(parseIsoTimestamp('2026-11-23T15:04:05.678Z')).toBe(Date.UTC(2026, 10, 23, 15, 4, 5, 678));
    expect(parseIsoTimestamp('2026-11-23')).toBe(Date.UTC(2026, 10, 23));
    expect(parseIsoTimestamp('2026-11-23 15:04')).toBe(Date.UTC(2026, 10, 23, 15, 4));
    expect(parseIsoTimestamp('2026-11-23T15:04:05+02:00')).toBe(Date.UTC(2026, 10, 23, 13, 4, 5));
    expect(parseIsoTimestamp('2024-02-29T00:00:00.000Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('refuses impossible dates and times instead of rolling them over', () => {
    for (const text of ['2026-02-29T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-00-10T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01T23:60:00.000Z', '2100-02-29T00:00:00.000Z']) {
      expect(parseIsoTimestamp(text), text).toBeNull();
    }
    expect(parseIsoTimestamp('yesterday')).toBeNull();
    expect(parseIsoTimestamp(42)).toBeNull();
  });

  const two = (n: number) => String(n).padStart(2, '0');
  const canonicalParts = fc.record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    ms: fc.integer({ min: 0, max: 999 }),
  });

  // the canonical form has a fast reading of its own; a space instead of "T" takes the general one
  property.prop([canonicalParts], { numRuns: 500 })('the canonical form reads as the general form does, valid or not', (p) => {
    const date = `${String(p.year).padStart(4, '0')}-${two(p.month)}-${two(p.day)}`;
    const time = `${two(p.hour)}:${two(p.minute)}:${two(p.second)}.${String(p.ms).padStart(3, '0')}Z`;
    expect(parseIsoTimestamp(`${date}T${time}`)).toBe(parseIsoTimestamp(`${date} ${time}`));
  });

  property.prop([fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) })])('reads back what isoTimestamp writes', (ms) => {
    expect(parseIsoTimestamp(isoTimestamp(ms))).toBe(ms);
  });
});
