import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { LamportPlacer, MAX_PRESENTED_CLOCK } from '../adapters/memory/placer.js';
import { cap } from './helpers.js';

/** A placement: parent = index of an earlier cap (or none), lamport = the clock its sender presented. */
const placements = fc.array(
  fc.record({
    parent: fc.option(fc.nat(), { nil: null }),
    lamport: fc.option(fc.oneof(fc.nat({ max: 1000 }), fc.integer({ min: -5, max: 5 }), fc.maxSafeNat(), fc.integer({ min: 2 ** 52 - 50, max: Number.MAX_SAFE_INTEGER }), fc.double()), { nil: undefined }),
  }),
  { minLength: 1, maxLength: 60 },
);

function placeAll(steps: { parent: number | null; lamport?: number | undefined }[]) {
  const placer = new LamportPlacer();
  const ranks: number[] = [];
  const parents: (number | null)[] = [];
  steps.forEach((step, i) => {
    const parent = step.parent === null || i === 0 ? null : step.parent % i;
    parents.push(parent);
    const placed = placer.place(cap({ cap_id: `cap_${i}`, parent_id: parent === null ? null : `cap_${parent}` }), step.lamport === undefined ? {} : { lamport: step.lamport });
    ranks.push(placed.causal_rank);
  });
  return { placer, ranks, parents };
}

describe('LamportPlacer', () => {
  test.prop([fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 20 }), fc.nat({ max: 50 })])(
    'a child placed on another node with its parent\'s rank as the hint outranks the parent',
    (before, elsewhere) => {
      const here = new LamportPlacer();
      const there = new LamportPlacer();
      for (const l of before) here.place(cap(), { lamport: l });
      for (let i = 0; i < elsewhere; i++) there.place(cap(), {});
      const parent = here.place(cap({ cap_id: 'cap_parent' }), {});
      const child = there.place(cap({ parent_id: 'cap_parent' }), { lamport: parent.causal_rank });
      expect(child.causal_rank).toBeGreaterThan(parent.causal_rank);
    },
  );

  test.prop([placements])('rank(child) > rank(parent) for children placed after their parents', (steps) => {
    const { ranks, parents } = placeAll(steps);
    parents.forEach((p, i) => {
      if (p !== null) expect(ranks[i]!).toBeGreaterThan(ranks[p]!);
    });
  });

  test.prop([placements])('ranks are unique, positive integers, and current() is the highest', (steps) => {
    const { placer, ranks } = placeAll(steps);
    expect(new Set(ranks).size).toBe(ranks.length);
    for (const r of ranks) expect(Number.isSafeInteger(r) && r > 0).toBe(true);
    expect(placer.current()).toBe(Math.max(...ranks));
  });

  test.prop([placements])("a rank exceeds every usable clock its sender presented (Tibet-Lamport); unusable ones are ignored", (steps) => {
    const { ranks } = placeAll(steps);
    steps.forEach((s, i) => {
      if (s.lamport !== undefined && Number.isInteger(s.lamport) && s.lamport <= MAX_PRESENTED_CLOCK) expect(ranks[i]!).toBeGreaterThan(s.lamport);
    });
  });

  test.prop([placements])('placement is deterministic', (steps) => {
    expect(placeAll(steps).ranks).toEqual(placeAll(steps).ranks);
  });
});
