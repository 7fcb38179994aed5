import type { Cap } from '../records/cap.js';
import { parseIsoTimestamp } from '../clock.js';
import { formatFixed } from '../json.js';

export const COFFEE_POLICIES = [
  'fork_on_hop_off',
  'freeze_resume',
  'hard_avoid',
  'offline_fallback',
  'polite_avoid',
  'rebuild',
  'sip_anyway',
] as const;
export type CoffeePolicy = (typeof COFFEE_POLICIES)[number];

export interface CoffeeDecision {
  coffee_lane_policy: CoffeePolicy;
  coffee_reason: string;
  time_diff_seconds: number | null;
  diff_threshold_seconds: number;
}

/** Facts the coffee table reads, computed once per cap. */
interface CoffeeFacts {
  diff: number | null;
  threshold: number;
  cap: Cap;
  payload: Record<string, unknown>;
}

const DEFAULT_THRESHOLD = 3600;
const DAY = 86400;
const KNOWN_ACTOR_MARKERS = ['gateway', 'service', 'controller'];

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const secs = (d: number) => formatFixed(d, 0);

/** behaviour.md §5, row by row: the first row whose `when` holds decides. */
const COFFEE_ROWS: readonly { policy: CoffeePolicy; when: (f: CoffeeFacts) => boolean; reason: (f: CoffeeFacts) => string }[] = [
  { policy: 'freeze_resume', when: (f) => f.diff !== null && f.diff < 60, reason: (f) => `time_diff_seconds=${secs(f.diff!)}<60` },
  { policy: 'fork_on_hop_off', when: (f) => f.diff !== null && f.diff < f.threshold, reason: (f) => `time_diff_seconds=${secs(f.diff!)}<${f.threshold}` },
  { policy: 'rebuild', when: (f) => f.diff !== null && f.diff < DAY, reason: (f) => `time_diff_seconds=${secs(f.diff!)}>=diff_threshold` },
  { policy: 'hard_avoid', when: (f) => f.diff !== null, reason: (f) => `time_diff_seconds=${secs(f.diff!)}>=${DAY}` },
  {
    policy: 'polite_avoid',
    when: (f) => f.cap.actor_aint === null && !KNOWN_ACTOR_MARKERS.some((m) => f.cap.actor_id.toLowerCase().includes(m)),
    reason: () => 'actor_unknown',
  },
  { policy: 'hard_avoid', when: (f) => num(f.payload.trust_score) && f.payload.trust_score < 0.3, reason: (f) => `actor_trust_score=${formatFixed(f.payload.trust_score as number, 2)}` },
  { policy: 'rebuild', when: (f) => Number.isInteger(f.payload.recent_failures) && (f.payload.recent_failures as number) > 3, reason: (f) => `recent_failures=${f.payload.recent_failures}` },
  { policy: 'offline_fallback', when: (f) => offlineSignal(f.payload) !== null, reason: (f) => offlineSignal(f.payload)! },
  { policy: 'sip_anyway', when: () => true, reason: () => 'healthy_lane' },
];

/** The endpoint signal of row 8, named by the first signal that fired. */
function offlineSignal(payload: Record<string, unknown>): string | null {
  const status = payload.endpoint_status;
  if (typeof status === 'string' && ['offline', 'down'].includes(status.toLowerCase())) return status.toLowerCase();
  if (num(payload.http_status) && payload.http_status >= 500) return `http_status=${payload.http_status}`;
  if (num(payload.consecutive_errors) && payload.consecutive_errors >= 3) return `consecutive_errors=${payload.consecutive_errors}`;
  return null;
}

/** `int(payload.diff_threshold_seconds)`: numbers truncate, numeric strings parse, else 3600. */
function threshold(payload: Record<string, unknown>): number {
  const raw = payload.diff_threshold_seconds;
  if (num(raw)) return Math.trunc(raw);
  if (typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw)) return Number.parseInt(raw, 10);
  return DEFAULT_THRESHOLD;
}

export function deriveCoffee(cap: Cap, nowMs: number): CoffeeDecision {
  const payload = cap.payload;
  const sealedAt = parseIsoTimestamp(payload.sealed_at);
  const facts: CoffeeFacts = {
    diff: sealedAt === null ? null : Math.max(0, (nowMs - sealedAt) / 1000),
    threshold: threshold(payload),
    cap,
    payload,
  };
  const row = COFFEE_ROWS.find((r) => r.when(facts))!;
  return {
    coffee_lane_policy: row.policy,
    coffee_reason: row.reason(facts),
    time_diff_seconds: facts.diff,
    diff_threshold_seconds: facts.threshold,
  };
}
