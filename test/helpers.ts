import { makeCap, type Cap, type CapInput } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';

/** A fixed instant for tests: 2026-05-15T16:00:00Z. */
export const T0 = Date.UTC(2026, 4, 15, 16, 0, 0);

export function testContext(seed = 1) {
  return { clock: manualClock(T0), ids: seededIds(seed) };
}

/** A cap with the given fields over neutral defaults (an .aint actor, so coffee stays healthy). */
export function cap(fields: Partial<CapInput> = {}): Cap {
  return makeCap({ actor_id: 'tester.aint', intent: 'misc.op', authority_ref: 'sam:test', payload: {}, ...fields }, testContext());
}

export const ago = (seconds: number) => new Date(T0 - seconds * 1000).toISOString();
