import { describe, expect, it } from 'vitest';
import { deriveCoffee } from '../src/policy/coffee.js';
import { ago, cap, T0 } from './helpers.js';

const coffee = (payload: Record<string, unknown>, fields: Parameters<typeof cap>[0] = {}) => deriveCoffee(cap({ payload, ...fields }), T0);

describe('coffee-lane policy (behaviour.md §5)', () => {
  it('row 1: diff < 60 → freeze_resume', () => {
    expect(coffee({ sealed_at: ago(15) })).toEqual({ coffee_lane_policy: 'freeze_resume', coffee_reason: 'time_diff_seconds=15<60', time_diff_seconds: 15, diff_threshold_seconds: 3600 });
  });
  it('row 2: diff < threshold → fork_on_hop_off', () => {
    expect(coffee({ sealed_at: ago(300) })).toMatchObject({ coffee_lane_policy: 'fork_on_hop_off', coffee_reason: 'time_diff_seconds=300<3600', time_diff_seconds: 300 });
    expect(coffee({ sealed_at: ago(300), diff_threshold_seconds: 600 })).toMatchObject({ coffee_reason: 'time_diff_seconds=300<600', diff_threshold_seconds: 600 });
  });
  it('row 3: threshold ≤ diff < 86400 → rebuild', () => {
    expect(coffee({ sealed_at: ago(7200) })).toMatchObject({ coffee_lane_policy: 'rebuild', coffee_reason: 'time_diff_seconds=7200>=diff_threshold' });
  });
  it('row 4: diff ≥ 86400 → hard_avoid', () => {
    expect(coffee({ sealed_at: ago(86400) })).toMatchObject({ coffee_lane_policy: 'hard_avoid', coffee_reason: 'time_diff_seconds=86400>=86400' });
  });
  it('a threshold below 60 still lets row 1 win; exactly 60 s goes on to row 2', () => {
    expect(coffee({ sealed_at: ago(59.6), diff_threshold_seconds: 10 })).toMatchObject({ coffee_lane_policy: 'freeze_resume', coffee_reason: 'time_diff_seconds=60<60' });
    expect(coffee({ sealed_at: ago(60) })).toMatchObject({ coffee_lane_policy: 'fork_on_hop_off' });
  });
  it('a future sealed_at counts as 0 s; naive timestamps are UTC; offsets are honoured', () => {
    expect(coffee({ sealed_at: ago(-100) })).toMatchObject({ time_diff_seconds: 0, coffee_lane_policy: 'freeze_resume' });
    expect(coffee({ sealed_at: '2026-05-15T15:55:00' })).toMatchObject({ time_diff_seconds: 300 });
    expect(coffee({ sealed_at: '2026-05-15T17:55:00+02:00' })).toMatchObject({ time_diff_seconds: 300 });
  });
  it('an unparsable sealed_at counts as absent', () => {
    expect(coffee({ sealed_at: 'yesterday' })).toMatchObject({ coffee_lane_policy: 'sip_anyway', time_diff_seconds: null });
    expect(coffee({ sealed_at: '2026-02-30T00:00:00Z' })).toMatchObject({ time_diff_seconds: null });
    expect(coffee({ sealed_at: 12 })).toMatchObject({ time_diff_seconds: null });
  });
  it('diff_threshold_seconds is an integer: floats truncate, numeric strings parse, junk is 3600', () => {
    expect(coffee({ diff_threshold_seconds: 120.9 }).diff_threshold_seconds).toBe(120);
    expect(coffee({ diff_threshold_seconds: '90' }).diff_threshold_seconds).toBe(90);
    expect(coffee({ diff_threshold_seconds: 'soon' }).diff_threshold_seconds).toBe(3600);
  });
  it('row 5: unknown actor (no diff, no aint, no gateway/service/controller) → polite_avoid', () => {
    expect(coffee({}, { actor_id: 'someone' })).toMatchObject({ coffee_lane_policy: 'polite_avoid', coffee_reason: 'actor_unknown' });
    for (const actor_id of ['API-Gateway', 'billing-service', 'line-controller']) {
      expect(coffee({}, { actor_id }).coffee_lane_policy).toBe('sip_anyway');
    }
    expect(coffee({}, { actor_id: 'someone', actor_aint: 'someone.aint' }).coffee_lane_policy).toBe('sip_anyway');
  });
  it('row 6: trust_score < 0.3 → hard_avoid with two decimals (ties to even, as the reference)', () => {
    expect(coffee({ trust_score: 0.1 })).toMatchObject({ coffee_lane_policy: 'hard_avoid', coffee_reason: 'actor_trust_score=0.10' });
    expect(coffee({ trust_score: 0.125 }).coffee_reason).toBe('actor_trust_score=0.12');
    expect(coffee({ trust_score: 0.3 }).coffee_lane_policy).toBe('sip_anyway');
    expect(coffee({ trust_score: '0.1' }).coffee_lane_policy).toBe('sip_anyway');
    expect(coffee({ trust_score: false }).coffee_lane_policy).toBe('sip_anyway');
  });
  it('row 7: recent_failures integer > 3 → rebuild', () => {
    expect(coffee({ recent_failures: 4 })).toMatchObject({ coffee_lane_policy: 'rebuild', coffee_reason: 'recent_failures=4' });
    expect(coffee({ recent_failures: 3 }).coffee_lane_policy).toBe('sip_anyway');
    expect(coffee({ recent_failures: 4.5 }).coffee_lane_policy).toBe('sip_anyway');
  });
  it('row 8: offline signals → offline_fallback naming the signal', () => {
    expect(coffee({ endpoint_status: 'DOWN' })).toMatchObject({ coffee_lane_policy: 'offline_fallback', coffee_reason: 'down' });
    expect(coffee({ endpoint_status: 'offline' }).coffee_reason).toBe('offline');
    expect(coffee({ http_status: 503 }).coffee_reason).toBe('http_status=503');
    expect(coffee({ consecutive_errors: 3 }).coffee_reason).toBe('consecutive_errors=3');
    expect(coffee({ endpoint_status: 'degraded', http_status: 502 }).coffee_reason).toBe('http_status=502');
    expect(coffee({ http_status: 499, consecutive_errors: 2 }).coffee_lane_policy).toBe('sip_anyway');
  });
  it('row order: the first matching row decides', () => {
    expect(coffee({ sealed_at: ago(15), trust_score: 0.1 }).coffee_lane_policy).toBe('freeze_resume');
    expect(coffee({ trust_score: 0.1 }, { actor_id: 'someone' }).coffee_lane_policy).toBe('polite_avoid');
    expect(coffee({ trust_score: 0.1, recent_failures: 9 }).coffee_lane_policy).toBe('hard_avoid');
    expect(coffee({ recent_failures: 9, endpoint_status: 'down' }).coffee_lane_policy).toBe('rebuild');
  });
  it('row 9: otherwise sip_anyway / healthy_lane', () => {
    expect(coffee({})).toEqual({ coffee_lane_policy: 'sip_anyway', coffee_reason: 'healthy_lane', time_diff_seconds: null, diff_threshold_seconds: 3600 });
  });
});
