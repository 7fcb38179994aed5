import fc from 'fast-check';
import { makeCap, ROUTE_CLASSES, type Cap } from '../../src/records/cap.js';
import { isoTimestamp, manualClock, seededIds } from '../../src/clock.js';
import { COFFEE_POLICIES } from '../../src/policy/coffee.js';
import { CONTINUATION_MODES } from '../../src/policy/continuation.js';
import { COLLISION_POLICIES, laneId, type LanePolicy, type LaneShape } from '../../src/policy/lane.js';

const hex16 = fc.stringMatching(/^[0-9a-f]{16}$/);
/** intent and lane tokens, biased toward the words the policy tables look for */
const word = fc.oneof(
  fc.constantFrom('factory', 'agent', 'tool', 'high', 'service', 'rpc', 'triage', 'reject', 'resync', 'fork', 'alpha', 'beta', 'resume'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/),
);
const dotted = (max: number) => fc.array(word, { minLength: 1, maxLength: max }).map((w) => w.join('.'));

/** Any lane id: the derived form, the triage lanes, or free text carrying the table's markers. */
export function laneIdArb(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(dotted(5), fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/)).map(([intent, exec]) => laneId(intent, exec)),
    fc.constantFrom('lane:triage.reject:default', 'lane:triage.resync:default', 'x.fork.alpha', 'x.fork.beta', 'x.triage.reject.fork.beta'),
    fc.string(),
  );
}

/** A payload value of any JSON-ish type, to probe fields the coffee table reads. */
const anyValue = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null));

/**
 * Any valid cap, with payloads that probe every row of the coffee table: sealed_at near and far
 * from `nowMs` (and unparsable), thresholds, trust scores, failure counts, endpoint signals,
 * continuation requests and simulated durations, each present or not, well-typed or not.
 */
export function capArb(options: { nowMs?: number } = {}): fc.Arbitrary<Cap> {
  const nowMs = options.nowMs ?? Date.UTC(2026, 0, 1);
  const sealedAt = fc.oneof(
    fc.integer({ min: -200_000, max: 200_000 }).map((s) => isoTimestamp(nowMs - s * 1000)),
    fc.integer({ min: 0, max: 100_000 }).map((s) => isoTimestamp(nowMs - s * 1000).replace('Z', '')),
    anyValue,
  );
  const payload = fc.record(
    {
      sealed_at: sealedAt,
      diff_threshold_seconds: fc.oneof(fc.integer({ min: -10, max: 200_000 }), fc.stringMatching(/^ ?[+-]?\d{1,6} ?$/), anyValue),
      trust_score: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), anyValue),
      recent_failures: fc.oneof(fc.integer({ min: 0, max: 10 }), anyValue),
      endpoint_status: fc.oneof(fc.constantFrom('offline', 'DOWN', 'up'), anyValue),
      http_status: fc.oneof(fc.integer({ min: 100, max: 599 }), anyValue),
      consecutive_errors: fc.oneof(fc.integer({ min: 0, max: 6 }), anyValue),
      continuation_mode: fc.oneof(fc.constantFrom(...CONTINUATION_MODES, ' Fork ', 'bogus'), anyValue),
      duration_ms: fc.oneof(fc.integer({ min: 0, max: 50 }), anyValue),
    },
    { requiredKeys: [] },
  );
  return fc
    .record({
      id: hex16,
      actor_id: fc.oneof(fc.constantFrom('codex.aint', 'api-gateway', 'plant.controller', 'stray-bot'), fc.string({ minLength: 1 })),
      actor_aint: fc.option(fc.string(), { nil: null }),
      intent: dotted(6),
      route_class: fc.constantFrom(...ROUTE_CLASSES),
      executor_class: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
      lane_hint: fc.option(laneIdArb(), { nil: null }),
      payload,
    })
    .map(({ id, ...fields }) =>
      makeCap({ ...fields, cap_id: `cap_${id}`, authority_ref: 'sam:test', created_at: isoTimestamp(nowMs) }, { clock: manualClock(nowMs), ids: seededIds(0) }),
    );
}

const laneShapeFields = {
  lane_class: fc.constant('custom'),
  priority: fc.integer({ min: 0, max: 10 }),
  burst_limit: fc.integer({ min: 1, max: 4 }),
  preemptible: fc.boolean(),
  executor_pool: fc.constant('custom'),
  lane_collision_policy: fc.constantFrom(...COLLISION_POLICIES),
};

/** Any lane shape; `custom` class and pool, so a test can tell it from a derived one. */
export function laneShapeArb(): fc.Arbitrary<LaneShape> {
  return fc.record(laneShapeFields);
}

/** Some of a lane shape's fields, to lay over a derived shape. */
export function laneShapeOverridesArb(): fc.Arbitrary<Partial<LaneShape>> {
  return fc.record(laneShapeFields, { requiredKeys: [] });
}

/** Any lane policy inside the contract's enums and ranges. */
export function lanePolicyArb(): fc.Arbitrary<LanePolicy> {
  return fc
    .record({
      shape: laneShapeArb(),
      coffee_lane_policy: fc.constantFrom(...COFFEE_POLICIES),
      coffee_reason: fc.string(),
      time_diff_seconds: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: null }),
      diff_threshold_seconds: fc.integer({ min: 0, max: 200_000 }),
    })
    .map(({ shape, ...coffee }) => ({ ...shape, ...coffee }));
}
