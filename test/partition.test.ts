import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { PartitionedAligner } from '../adapters/memory/index.js';
import { makeCap } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import { fnv1a32, partitionOf } from '../src/partition.js';
import { T0 } from './helpers.js';

/** The vector README documents, so other tools can check their own implementation against it. */
const VECTOR: [group: string, fnv1a32: number, partitionOf16: number][] = [
  ['', 0x811c9dc5, 5],
  ['a', 0xe40c292c, 12],
  ['foobar', 0xbf9cf968, 8],
  ['align:lane:triage.resync:probe', 0xef3f1194, 4],
  ['align:lane:agent.tool.high:default', 0x56e3f11c, 12],
  ['align:lane:ünïcode:x', 0xb67f9eaa, 10],
];

describe('partition of an alignment group', () => {
  it.each(VECTOR)('%j: FNV-1a 32 = %i, partition of 16 = %i', (group, hash, p16) => {
    expect(fnv1a32(group)).toBe(hash);
    expect(partitionOf(group, 16)).toBe(p16);
  });

  prop.prop([fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 4096 })])('is an integer in 0 … P−1, and the same every time', (group, partitions) => {
    const p = partitionOf(group, partitions);
    expect(Number.isInteger(p) && p >= 0 && p < partitions).toBe(true);
    expect(partitionOf(group, partitions)).toBe(p);
  });

  it('refuses a partition count that is not 1 … 4096', () => {
    for (const bad of [0, -1, 1.5, 4097, Number.NaN]) expect(() => partitionOf('x', bad)).toThrow(/partitions must be an integer from 1 to 4096/);
    expect(() => new PartitionedAligner(0)).toThrow(/partitions/);
  });

  it('the partitioned aligner names the group as today and records its partition', () => {
    const cap = makeCap({ actor_id: 'a.aint', intent: 'triage.resync', authority_ref: 'sam:x', payload: {} }, { clock: manualClock(T0), ids: seededIds(1) });
    const aligned = new PartitionedAligner(16).align(cap, 'lane:triage.resync:probe', 'slot:1');
    expect(aligned).toEqual({
      alignment_group: 'align:lane:triage.resync:probe',
      details: { alignment_group: 'align:lane:triage.resync:probe', cluster_mode: 'partitioned', memory_slot: 'slot:1', partition: 4, partitions: 16 },
    });
  });
});
