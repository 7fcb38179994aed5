import type { TwinProfile } from './profiles.js';
import type { CheckName, CheckResult, Reading, TwinDevice, ValueDelta } from './state.js';

/** An intent moves the machine when one of its dotted segments matches one of these. */
const MOTION_SEGMENTS: readonly RegExp[] = [/^motion$/, /^move/];
/** Statuses in which nothing may be moved, whatever the twin says. */
const FAULT_STATUSES: readonly string[] = ['fault', 'emergency_stop'];

export function isMotionIntent(intent: string): boolean {
  return intent.split('.').some((segment) => MOTION_SEGMENTS.some((m) => m.test(segment)));
}

/** Everything the four checks read, gathered once per check call. */
export interface SyncFacts {
  device: TwinDevice;
  profile: TwinProfile;
  physical: Reading;
  twin: Reading;
  intent: string;
  now_ms: number;
  require_verified: boolean;
  drift_ms: number;
  value_deltas: Record<string, ValueDelta>;
}

/** Every key either side reported, compared against the device's tolerance (0 when unlisted). */
export function valueDeltas(device: TwinDevice, physical: Reading, twin: Reading): Record<string, ValueDelta> {
  const keys = [...new Set([...Object.keys(physical.state.values), ...Object.keys(twin.state.values)])].sort();
  const out: Record<string, ValueDelta> = {};
  for (const key of keys) {
    const p = physical.state.values[key] ?? null;
    const t = twin.state.values[key] ?? null;
    const tolerance = device.tolerances[key] ?? 0;
    const delta = p === null || t === null ? null : Math.abs(p - t);
    out[key] = { physical: p, twin: t, delta, tolerance, within: delta !== null && delta <= tolerance };
  }
  return out;
}

/** Short numbers for reasons; the exact values stay in value_deltas. */
const show = (n: number) => String(Number(n.toPrecision(6)));

const result = (problems: string[], ok: string): CheckResult =>
  problems.length === 0 ? { passed: true, detail: ok } : { passed: false, detail: problems.join(', ') };

/** The four checks of the sync rule, in the order a decision reports them. All must pass. */
export const SYNC_CHECKS: readonly { name: CheckName; run: (f: SyncFacts) => CheckResult }[] = [
  {
    name: 'values',
    run: (f) => {
      const problems = Object.entries(f.value_deltas)
        .filter(([, d]) => !d.within)
        .map(([key, d]) =>
          d.delta === null ? `${key} missing on ${d.physical === null ? 'physical' : 'twin'}` : `${key} Δ${show(d.delta)} > ${show(d.tolerance)}`,
        );
      return result(problems, `${Object.keys(f.value_deltas).length} value(s) within tolerance`);
    },
  },
  {
    name: 'identity',
    run: (f) => {
      const problems: string[] = [];
      for (const [side, reading, expected] of [
        ['physical', f.physical, f.device.physical_actor],
        ['twin', f.twin, f.device.twin_actor],
      ] as const) {
        if (reading.actor_id !== expected) problems.push(`${side} state from '${reading.actor_id}', registered '${expected}'`);
        if (f.require_verified && !reading.verified) problems.push(`${side} state seal not verified`);
      }
      return result(problems, 'both states from their registered actors');
    },
  },
  {
    name: 'time',
    run: (f) => {
      const { max_drift_ms, max_state_age_ms } = f.profile;
      const problems: string[] = [];
      if (f.drift_ms > max_drift_ms) problems.push(`drift ${show(f.drift_ms)} ms > ${max_drift_ms} ms`);
      for (const [side, reading] of [
        ['physical', f.physical],
        ['twin', f.twin],
      ] as const) {
        const age = f.now_ms - reading.at_ms;
        if (age > max_state_age_ms) problems.push(`${side} state ${show(age)} ms old > ${max_state_age_ms} ms`);
        // a state dated ahead of the guard's clock by more than the drift allowance cannot be trusted to age out
        if (age < -max_drift_ms) problems.push(`${side} state ${show(-age)} ms in the future`);
      }
      return result(problems, `drift ${show(f.drift_ms)} ms, both states fresh`);
    },
  },
  {
    name: 'intent',
    run: (f) => {
      const physical = f.physical.state.status;
      const twin = f.twin.state.status;
      const problems: string[] = [];
      if (physical !== twin) problems.push(`status mismatch: physical=${physical}, twin=${twin}`);
      if (FAULT_STATUSES.includes(physical) && isMotionIntent(f.intent)) problems.push(`motion intent on a device in ${physical}`);
      return result(problems, `status ${physical} on both sides permits ${f.intent}`);
    },
  },
];
