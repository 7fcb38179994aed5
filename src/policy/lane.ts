import { z } from 'zod';
import type { Cap } from '../records/cap.js';
import { deriveCoffee, COFFEE_POLICIES } from './coffee.js';

export const COLLISION_POLICIES = ['assert_root', 'graceful_yield', 'override_all', 'queue', 'reject'] as const;
export type CollisionPolicy = (typeof COLLISION_POLICIES)[number];

export const LanePolicySchema = z
  .object({
    lane_class: z.string(),
    priority: z.number().int(),
    burst_limit: z.number().int().min(1),
    preemptible: z.boolean(),
    executor_pool: z.string(),
    lane_collision_policy: z.enum(COLLISION_POLICIES),
    coffee_lane_policy: z.enum(COFFEE_POLICIES),
    coffee_reason: z.string(),
    time_diff_seconds: z.number().nullable(),
    // integral by construction, but may exceed the safe-integer range a sender can write
    diff_threshold_seconds: z.number(),
  })
  .meta({ id: 'LanePolicy', title: 'LanePolicy', description: 'How a lane schedules, collides and avoids.' });

export type LanePolicy = z.output<typeof LanePolicySchema>;

/** The lane facts every observation record repeats (usage events, gateway events, governance). */
export const laneFactsShape = {
  lane_class: z.string(),
  lane_collision_policy: z.enum(COLLISION_POLICIES),
  coffee_lane_policy: z.enum(COFFEE_POLICIES),
  coffee_reason: z.string(),
  time_diff_seconds: z.number().nullable(),
  diff_threshold_seconds: z.number(),
  preemptible: z.boolean(),
  lane_priority: z.number(),
};

/** The lane id format: `lane:<name>:<executor_class>`. */
export const laneId = (name: string, executorClass: string): string => `lane:${name}:${executorClass}`;

/** behaviour.md §3: the hint IS the lane; otherwise one lane per intent and executor class. */
export function laneIdFor(cap: Pick<Cap, 'lane_hint' | 'intent' | 'executor_class'>): string {
  return cap.lane_hint ?? laneId(cap.intent, cap.executor_class);
}

/** The lane facts the policy tables set. */
export type LaneShape = Pick<LanePolicy, 'lane_class' | 'priority' | 'burst_limit' | 'preemptible' | 'executor_pool' | 'lane_collision_policy'>;

/** behaviour.md §4, intent step: the first row whose prefix the intent starts with applies. */
const INTENT_ROWS: readonly { prefix: string; set: LaneShape }[] = [
  { prefix: 'factory.', set: { lane_class: 'industrial-control', priority: 9, burst_limit: 2, preemptible: false, executor_pool: 'motion-critical', lane_collision_policy: 'assert_root' } },
  { prefix: 'agent.tool.high', set: { lane_class: 'agent-high', priority: 7, burst_limit: 16, preemptible: true, executor_pool: 'agent-burst', lane_collision_policy: 'graceful_yield' } },
  { prefix: 'service.rpc', set: { lane_class: 'service-standard', priority: 6, burst_limit: 32, preemptible: true, executor_pool: 'service-mesh', lane_collision_policy: 'queue' } },
];

/**
 * behaviour.md §4, lane step: two groups (triage, fork); within a group the first row whose
 * marker the lane id contains applies. `p` is the shape reached so far.
 */
const LANE_ROWS: readonly { group: 'triage' | 'fork'; markers: readonly string[]; set: (p: LaneShape) => LaneShape }[] = [
  { group: 'triage', markers: ['.triage.reject', 'lane:triage.reject:'], set: () => ({ lane_class: 'triage-reject', priority: 10, burst_limit: 1, preemptible: false, executor_pool: 'triage-human', lane_collision_policy: 'reject' }) },
  { group: 'triage', markers: ['.triage.resync', 'lane:triage.resync:'], set: () => ({ lane_class: 'triage-resync', priority: 9, burst_limit: 2, preemptible: false, executor_pool: 'triage-resync', lane_collision_policy: 'queue' }) },
  { group: 'fork', markers: ['.fork.alpha'], set: (p) => ({ lane_class: 'fork-alpha', priority: Math.max(p.priority, 8), burst_limit: Math.max(4, Math.floor(p.burst_limit / 2)), preemptible: false, executor_pool: `${p.executor_pool}-alpha`, lane_collision_policy: 'override_all' }) },
  { group: 'fork', markers: ['.fork.beta'], set: (p) => ({ lane_class: 'fork-beta', priority: Math.min(p.priority, 4), burst_limit: Math.max(2, Math.floor(p.burst_limit / 2)), preemptible: true, executor_pool: `${p.executor_pool}-beta`, lane_collision_policy: 'graceful_yield' }) },
];

/** behaviour.md §4, relay step: a relay hop gives up one unit of burst. */
const relayBurst = (burst: number) => Math.max(1, burst - 1);

function defaultLaneShape(cap: Pick<Cap, 'executor_class'>): LaneShape {
  return { lane_class: 'standard', priority: 5, burst_limit: 8, preemptible: false, executor_pool: cap.executor_class, lane_collision_policy: 'queue' };
}

export function deriveLaneShape(cap: Pick<Cap, 'intent' | 'executor_class' | 'route_class'>, laneId: string): LaneShape {
  let shape = defaultLaneShape(cap);
  const intentRow = INTENT_ROWS.find((row) => cap.intent.startsWith(row.prefix));
  if (intentRow) shape = { ...shape, ...intentRow.set };
  for (const group of ['triage', 'fork'] as const) {
    const row = LANE_ROWS.find((r) => r.group === group && r.markers.some((m) => laneId.includes(m)));
    if (row) shape = row.set(shape);
  }
  if (cap.route_class === 'relay') shape = { ...shape, burst_limit: relayBurst(shape.burst_limit) };
  return shape;
}

/**
 * Lane shapes depend only on lane id, intent, executor class and route, and a bus sees few
 * distinct combinations, so derived shapes are remembered (bounded: the cache restarts when full).
 */
const shapeCache = new Map<string, Map<string, LaneShape>>();
const SHAPE_CACHE_LIMIT = 10_000;

function cachedLaneShape(cap: Cap, laneId: string): LaneShape {
  // an unhinted lane id already spells the intent and executor class
  const key = cap.lane_hint === null ? laneId : `${laneId}\u0000${cap.intent}\u0000${cap.executor_class}`;
  let byRoute = shapeCache.get(key);
  if (byRoute === undefined) {
    if (shapeCache.size >= SHAPE_CACHE_LIMIT) shapeCache.clear();
    byRoute = new Map();
    shapeCache.set(key, byRoute);
  }
  let shape = byRoute.get(cap.route_class);
  if (shape === undefined) {
    shape = deriveLaneShape(cap, laneId);
    byRoute.set(cap.route_class, shape);
  }
  return shape;
}

/** The full lane policy of behaviour.md §4–§5 for a cap on a lane, as of `nowMs`. */
export function deriveLanePolicy(cap: Cap, laneId: string, nowMs: number): LanePolicy {
  const shape = cachedLaneShape(cap, laneId);
  const coffee = deriveCoffee(cap, nowMs);
  return {
    lane_class: shape.lane_class,
    priority: shape.priority,
    burst_limit: shape.burst_limit,
    preemptible: shape.preemptible,
    executor_pool: shape.executor_pool,
    lane_collision_policy: shape.lane_collision_policy,
    coffee_lane_policy: coffee.coffee_lane_policy,
    coffee_reason: coffee.coffee_reason,
    time_diff_seconds: coffee.time_diff_seconds,
    diff_threshold_seconds: coffee.diff_threshold_seconds,
  };
}

/** A user-supplied derivation has the same shape as the default one. */
export type LanePolicyDerivation = (cap: Cap, laneId: string, nowMs: number) => LanePolicy;
