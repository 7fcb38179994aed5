import { isoTimestamp, parseIsoTimestamp, systemClock, type Clock } from '../../src/clock.js';
import { describeIssues } from '../../src/records/cap.js';
import { sealAuditToken, type TwinAuditToken } from './audit.js';
import { isMotionIntent, SYNC_CHECKS, valueDeltas } from './checks.js';
import { twinProfile, type TwinProfile } from './profiles.js';
import { MemoryTwinStore, type Sides } from './store.js';
import {
  CHECK_NAMES,
  TwinDeviceSchema,
  TwinStateSchema,
  type CheckName,
  type CheckResult,
  type Reading,
  type StateReport,
  type TwinDevice,
  type TwinDeviceInput,
  type TwinSide,
  type ValueDelta,
} from './state.js';

export interface TwinGuardOptions {
  clock?: Clock;
  /** names this guard in its audit tokens */
  guardNode?: string;
  /** identity also needs a verified seal on both states (turn on once caps are sealed) */
  requireVerified?: boolean;
}

/** The answer to "may this intent run on this device now?", with the evidence for it. */
export interface TwinDecision {
  device_id: string;
  intent: string;
  allowed: boolean;
  /** `allowed: …` or `blocked (<failed checks>): <why>` */
  reason: string;
  failed_checks: CheckName[];
  checks: Record<CheckName, CheckResult>;
  drift_ms: number | null;
  value_deltas: Record<string, ValueDelta>;
  profile: string | null;
  safety_critical: boolean;
  checked_at: string;
  /** the audit token recording this decision */
  audit_hash: string;
}

export type StateUpdate =
  | { ok: true; side: TwinSide; device_id: string; reported_by: string; verified: boolean }
  | { ok: false; error: string };

export interface TwinGuardStatus {
  checks: number;
  allowed: number;
  blocked: number;
  /** percent of checks blocked, one decimal */
  block_rate: number;
}

/** A state that passed validation, ready for a store. */
export type ValidState = { ok: true; reading: Reading; update: Extract<StateUpdate, { ok: true }> } | { ok: false; error: string };

/**
 * Holds the latest physical and twin state of every registered device and decides, per intent,
 * whether the two are provably in sync. Anything it cannot prove counts as out of sync.
 */
export class TwinGuard {
  readonly clock: Clock;
  readonly guardNode: string;
  readonly requireVerified: boolean;
  private readonly devices = new Map<string, TwinDevice>();
  /** this guard's own states; `update`, `check` and `latest` use them (a deployment-wide store is given to the executor instead) */
  readonly memory = new MemoryTwinStore();
  private readonly tokens: TwinAuditToken[] = [];
  private counts = { checks: 0, allowed: 0, blocked: 0 };

  constructor(options: TwinGuardOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.guardNode = options.guardNode ?? 'twin-guard';
    this.requireVerified = options.requireVerified ?? false;
  }

  /** Registers (or re-registers) a device; invalid input is a programming error and throws. */
  register(input: TwinDeviceInput): TwinDevice {
    const device = TwinDeviceSchema.parse(input);
    this.devices.set(device.device_id, device);
    return device;
  }

  registeredDevices(): TwinDevice[] {
    return [...this.devices.values()];
  }

  /** The latest state of each side of a device, as stored. */
  latest(deviceId: string): Readonly<Sides> {
    return this.memory.read(deviceId);
  }

  /**
   * Stores one side's latest state. Untrusted input is validated and never throws; states of
   * unregistered devices are refused so arbitrary device ids cannot fill the guard's memory.
   * The reporter is kept as given: a state from the wrong actor is stored and fails identity.
   */
  update(side: TwinSide, input: unknown, report: StateReport): StateUpdate {
    const valid = this.validate(side, input, report);
    if (!valid.ok) return valid;
    this.memory.write(valid.reading.state.device_id, side, valid.reading);
    return valid.update;
  }

  /** Checks one side's state for any store: validated, never throws, unregistered devices refused. */
  validate(side: TwinSide, input: unknown, report: StateReport): ValidState {
    const parsed = TwinStateSchema.safeParse(input);
    if (!parsed.success) return { ok: false, error: `invalid ${side} state: ${describeIssues(parsed.error)}` };
    const state = parsed.data;
    if (!this.devices.has(state.device_id)) return { ok: false, error: `device '${state.device_id}' is not registered` };
    const reading: Reading = { state, at_ms: parseIsoTimestamp(state.timestamp)!, actor_id: report.actor_id, verified: report.verified };
    return { ok: true, reading, update: { ok: true, side, device_id: state.device_id, reported_by: report.actor_id, verified: report.verified } };
  }

  updatePhysical(input: unknown, report: StateReport): StateUpdate {
    return this.update('physical', input, report);
  }

  updateTwin(input: unknown, report: StateReport): StateUpdate {
    return this.update('twin', input, report);
  }

  /** Runs the four checks on this guard's own states at the clock's now. Always audited. */
  check(deviceId: string, intent: string): TwinDecision {
    return this.decide(deviceId, intent, this.memory.read(deviceId));
  }

  /** Runs the four checks on the given states at the clock's now; allowed only when every one passes. Always audited. */
  decide(deviceId: string, intent: string, sides: Sides): TwinDecision {
    const nowMs = this.clock.now();
    const device = this.devices.get(deviceId);
    const profile = device ? twinProfile(device.profile) : null;
    const { physical, twin } = sides;

    let checks: Record<CheckName, CheckResult>;
    let drift_ms: number | null = null;
    let value_deltas: Record<string, ValueDelta> = {};
    if (!device || !profile) {
      checks = unproven(`device '${deviceId}' is not registered`);
    } else if (!physical || !twin) {
      checks = unproven(`no ${physical ? 'twin' : twin ? 'physical' : 'physical or twin'} state reported`);
    } else {
      drift_ms = Math.abs(physical.at_ms - twin.at_ms);
      value_deltas = valueDeltas(device, physical, twin);
      const facts = { device, profile, physical, twin, intent, now_ms: nowMs, require_verified: this.requireVerified, drift_ms, value_deltas };
      checks = Object.fromEntries(SYNC_CHECKS.map((c) => [c.name, c.run(facts)])) as Record<CheckName, CheckResult>;
    }

    const failed_checks = CHECK_NAMES.filter((name) => !checks[name].passed);
    const allowed = failed_checks.length === 0;
    const decision: Omit<TwinDecision, 'audit_hash'> = {
      device_id: deviceId,
      intent,
      allowed,
      reason: allowed
        ? `allowed: ${CHECK_NAMES.join(', ')} all passed`
        : `blocked (${failed_checks.join(', ')}): ${[...new Set(failed_checks.map((name) => checks[name].detail))].join('; ')}`,
      failed_checks,
      checks,
      drift_ms,
      value_deltas,
      profile: profile?.name ?? null,
      // an unregistered device has no profile to say otherwise, so it is treated as safety-critical
      safety_critical: profile?.safety_critical ?? true,
      checked_at: isoTimestamp(nowMs),
    };
    const token = this.audit(decision, device, profile, { physical, twin });
    this.counts.checks++;
    this.counts[allowed ? 'allowed' : 'blocked']++;
    return { ...decision, audit_hash: token.hash };
  }

  status(): TwinGuardStatus {
    const { checks, allowed, blocked } = this.counts;
    return { checks, allowed, blocked, block_rate: checks === 0 ? 0 : Math.round((blocked / checks) * 1000) / 10 };
  }

  auditTokens(): readonly TwinAuditToken[] {
    return this.tokens;
  }

  private audit(d: Omit<TwinDecision, 'audit_hash'>, device: TwinDevice | undefined, profile: TwinProfile | null, sides: Sides): TwinAuditToken {
    const token = sealAuditToken({
      seq: this.tokens.length,
      erin: { decision: d.allowed ? 'allowed' : 'blocked', reason: d.reason, failed_checks: d.failed_checks, drift_ms: d.drift_ms, value_deltas: d.value_deltas },
      eraan: {
        device_id: d.device_id,
        physical_actor: device?.physical_actor ?? null,
        twin_actor: device?.twin_actor ?? null,
        physical_reported_by: sides.physical?.actor_id ?? null,
        twin_reported_by: sides.twin?.actor_id ?? null,
        parent_hash: this.tokens.at(-1)?.hash ?? null,
      },
      eromheen: {
        guard_node: this.guardNode,
        timestamp: d.checked_at,
        profile: d.profile,
        max_drift_ms: profile?.max_drift_ms ?? null,
        max_state_age_ms: profile?.max_state_age_ms ?? null,
      },
      erachter: { intent: d.intent, motion: isMotionIntent(d.intent), safety_critical: d.safety_critical },
    });
    this.tokens.push(token);
    return token;
  }
}

/** Nothing can be proven without a device and both states: every check fails for the same reason. */
function unproven(detail: string): Record<CheckName, CheckResult> {
  return Object.fromEntries(CHECK_NAMES.map((name) => [name, { passed: false, detail }])) as Record<CheckName, CheckResult>;
}
