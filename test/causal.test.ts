import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compareCausal } from '../src/records/causal.js';

const key = fc.record({ causal_rank: fc.integer({ min: 1, max: 5 }), actor_id: fc.constantFrom('a', 'b', 'c'), cap_id: fc.constantFrom('cap_1', 'cap_2', 'cap_3') });

describe('causal order (rank, then actor_id, then cap_id)', () => {
  it('ranks first, then actor, then cap id', () => {
    expect(compareCausal({ causal_rank: 1, actor_id: 'z', cap_id: 'cap_9' }, { causal_rank: 2, actor_id: 'a', cap_id: 'cap_1' })).toBeLessThan(0);
    expect(compareCausal({ causal_rank: 2, actor_id: 'a', cap_id: 'cap_9' }, { causal_rank: 2, actor_id: 'b', cap_id: 'cap_1' })).toBeLessThan(0);
    expect(compareCausal({ causal_rank: 2, actor_id: 'a', cap_id: 'cap_2' }, { causal_rank: 2, actor_id: 'a', cap_id: 'cap_1' })).toBeGreaterThan(0);
  });
  test.prop([fc.array(key, { maxLength: 30 })])('is a total order: sorting any shuffle gives the same sequence', (keys) => {
    const sorted = [...keys].sort(compareCausal);
    const again = [...keys].reverse().sort(compareCausal);
    expect(again.map((k) => JSON.stringify(k))).toEqual(sorted.map((k) => JSON.stringify(k)));
    for (let i = 1; i < sorted.length; i++) expect(compareCausal(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
  });
  test.prop([key, key])('is antisymmetric', (a, b) => {
    expect(Math.sign(compareCausal(a, b)) + Math.sign(compareCausal(b, a))).toBe(0);
  });
});
