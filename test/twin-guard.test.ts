import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeCap, type Cap } from '../src/records/cap.js';
import { signingKeyFromSeed } from '../src/seal/keys.js';
import { keyText, type SigningKey } from '../src/seal/seal.js';
import { sealCap } from '../src/seal/trust.js';
import { isoTimestamp, manualClock, seededIds } from '../src/clock.js';
import type { Executor } from '../src/pipeline/phases.js';
import { createMemoryBus } from '../adapters/memory/index.js';
import {
  guardExecutor,
  isMotionIntent,
  TWIN_PROFILES,
  TwinAuditTokenSchema,
  TwinGuard,
  twinProfilesJson,
  twinProfilesText,
  TwinStateSchema,
  verifyAuditChain,
  type TwinProfileName,
} from '../adapters/twin-guard/index.js';

const T0 = Date.parse('2026-02-27T14:32:01.003Z');
const PLC = 'crane-01.plc.aint';
const TWIN = 'port-twin.aint';
const MOVE = 'factory.crane.motion.move_left';

interface SideSpec {
  ageMs?: number;
  values?: Record<string, number>;
  status?: string;
  actor?: string;
  verified?: boolean;
}

/** A port crane (200 ms drift, 1000 ms max age) with both sides fed; by default perfectly in sync. */
function crane(options: { physical?: SideSpec; twin?: SideSpec; requireVerified?: boolean } = {}) {
  const clock = manualClock(T0);
  const guard = new TwinGuard({ clock, requireVerified: options.requireVerified ?? false });
  guard.register({ device_id: 'crane-01', profile: 'port', tolerances: { position_x: 0.5, load_kg: 100 }, physical_actor: PLC, twin_actor: TWIN });
  const feed = (side: 'physical' | 'twin', spec: SideSpec = {}, defaultActor: string) =>
    guard.update(
      side,
      {
        device_id: 'crane-01',
        timestamp: isoTimestamp(T0 - (spec.ageMs ?? 0)),
        values: spec.values ?? { position_x: 12.5, load_kg: 2500 },
        status: spec.status ?? 'operational',
      },
      { actor_id: spec.actor ?? defaultActor, verified: spec.verified ?? true },
    );
  expect(feed('physical', options.physical, PLC).ok).toBe(true);
  expect(feed('twin', options.twin, TWIN).ok).toBe(true);
  return { guard, clock };
}

describe('twin guard checks', () => {
  it('allows when all four checks pass, and records drift and value deltas', () => {
    const { guard } = crane({ twin: { ageMs: 40, values: { position_x: 12.7, load_kg: 2450 } } });
    const d = guard.check('crane-01', MOVE);
    expect(d.allowed).toBe(true);
    expect(d.failed_checks).toEqual([]);
    expect(d.drift_ms).toBe(40);
    expect(d.value_deltas.load_kg).toEqual({ physical: 2500, twin: 2450, delta: 50, tolerance: 100, within: true });
    expect(d.profile).toBe('port');
    expect(d.safety_critical).toBe(true);
    expect(d.reason).toMatch(/^allowed/);
  });

  it.each([
    ['values', { twin: { values: { position_x: 12.5, load_kg: 2650 } } }, /load_kg Δ150 > 100/],
    ['values', { twin: { values: { position_x: 12.5 } } }, /load_kg missing on twin/],
    ['identity', { physical: { actor: 'impostor.aint' } }, /physical state from 'impostor.aint', registered 'crane-01.plc.aint'/],
    ['identity', { twin: { actor: PLC } }, /twin state from 'crane-01.plc.aint'/],
    ['identity', { requireVerified: true, twin: { verified: false } }, /twin state seal not verified/],
    ['time', { twin: { ageMs: 503 } }, /drift 503 ms > 200 ms/],
    ['time', { physical: { ageMs: 1001 }, twin: { ageMs: 1001 } }, /physical state 1001 ms old > 1000 ms/],
    ['time', { physical: { ageMs: -201 }, twin: { ageMs: -201 } }, /201 ms in the future/],
    ['intent', { twin: { status: 'maintenance' } }, /status mismatch: physical=operational, twin=maintenance/],
    ['intent', { physical: { status: 'fault' }, twin: { status: 'fault' } }, /motion intent on a device in fault/],
  ] as const)('the %s check alone blocks (%#)', (check, setup, detail) => {
    const { guard } = crane(setup);
    const d = guard.check('crane-01', MOVE);
    expect(d.allowed).toBe(false);
    expect(d.failed_checks).toEqual([check]);
    expect(d.checks[check].detail).toMatch(detail);
    expect(d.reason).toMatch(new RegExp(`^blocked \\(${check}\\): `));
  });

  it('names every failed check at once (the seed scenario)', () => {
    const { guard } = crane({ physical: { status: 'fault' }, twin: { ageMs: 503 } });
    const d = guard.check('crane-01', MOVE);
    expect(d.failed_checks).toEqual(['time', 'intent']);
    expect(d.drift_ms).toBe(503);
    expect(d.reason).toContain('drift 503 ms > 200 ms');
    expect(d.reason).toContain('status mismatch: physical=fault, twin=operational');
  });

  it('lets a non-motion intent through on a device both sides agree is in fault', () => {
    const { guard } = crane({ physical: { status: 'fault' }, twin: { status: 'fault' } });
    expect(guard.check('crane-01', 'factory.crane.diagnostics.read').allowed).toBe(true);
    expect(guard.check('crane-01', 'factory.crane.move').allowed).toBe(false);
  });

  it('accepts verified states when verification is required', () => {
    expect(crane({ requireVerified: true }).guard.check('crane-01', MOVE).allowed).toBe(true);
  });

  it('treats tolerances as inclusive bounds and unlisted keys as exact', () => {
    const at = (twinValues: Record<string, number>) =>
      crane({ physical: { values: { position_x: 12.5, load_kg: 2500, hook_m: 3 } }, twin: { values: twinValues } }).guard.check('crane-01', MOVE);
    expect(at({ position_x: 13, load_kg: 2600, hook_m: 3 }).allowed).toBe(true);
    expect(at({ position_x: 12, load_kg: 2400, hook_m: 3 }).allowed).toBe(true);
    expect(at({ position_x: 13.0001, load_kg: 2500, hook_m: 3 }).failed_checks).toEqual(['values']);
    expect(at({ position_x: 12.5, load_kg: 2600.01, hook_m: 3 }).failed_checks).toEqual(['values']);
    expect(at({ position_x: 12.5, load_kg: 2500, hook_m: 3.001 }).failed_checks).toEqual(['values']);
  });

  it('treats the drift and age limits as inclusive', () => {
    expect(crane({ twin: { ageMs: 200 } }).guard.check('crane-01', MOVE).allowed).toBe(true);
    expect(crane({ twin: { ageMs: 201 } }).guard.check('crane-01', MOVE).failed_checks).toEqual(['time']);
    expect(crane({ physical: { ageMs: 1000 }, twin: { ageMs: 1000 } }).guard.check('crane-01', MOVE).allowed).toBe(true);
    expect(crane({ physical: { ageMs: -200 }, twin: { ageMs: -200 } }).guard.check('crane-01', MOVE).allowed).toBe(true);
  });

  it('blocks once states go stale at check time', () => {
    const { guard, clock } = crane({ twin: { ageMs: 100 } });
    clock.advance(900);
    expect(guard.check('crane-01', MOVE).allowed).toBe(true);
    clock.advance(1);
    const d = guard.check('crane-01', MOVE);
    expect(d.failed_checks).toEqual(['time']);
    expect(d.checks.time.detail).toBe('twin state 1001 ms old > 1000 ms');
  });

  it('blocks an unknown device, and a device missing a state, with a clear reason', () => {
    const { guard } = crane();
    const unknown = guard.check('crane-99', MOVE);
    expect(unknown.allowed).toBe(false);
    expect(unknown.failed_checks).toEqual(['values', 'identity', 'time', 'intent']);
    expect(unknown.reason).toBe("blocked (values, identity, time, intent): device 'crane-99' is not registered");
    expect(unknown.safety_critical).toBe(true);

    guard.register({ device_id: 'agv-7', profile: 'port', physical_actor: 'agv-7.aint', twin_actor: TWIN });
    guard.updatePhysical({ device_id: 'agv-7', timestamp: isoTimestamp(T0), values: {}, status: 'operational' }, { actor_id: 'agv-7.aint', verified: false });
    expect(guard.check('agv-7', 'factory.agv.move').reason).toContain('no twin state reported');
  });

  it('refuses bad state payloads without throwing', () => {
    const { guard } = crane();
    const bad: unknown[] = [
      null,
      'fault',
      [],
      {},
      { device_id: 'crane-01', timestamp: 'yesterday', values: {}, status: 'fault' },
      { device_id: 'crane-01', timestamp: isoTimestamp(T0), values: { x: Number.NaN }, status: 'fault' },
      { device_id: 'crane-01', timestamp: isoTimestamp(T0), values: { x: '1' }, status: 'fault' },
      { device_id: 'crane-01', timestamp: isoTimestamp(T0), values: {}, status: 'FAULT' },
      { device_id: '', timestamp: isoTimestamp(T0), values: {}, status: 'fault' },
    ];
    for (const input of bad) {
      const update = guard.updatePhysical(input, { actor_id: PLC, verified: true });
      expect(update.ok).toBe(false);
      if (!update.ok) expect(update.error).toMatch(/^invalid physical state: /);
    }
    const stranger = guard.updateTwin({ device_id: 'ghost', timestamp: isoTimestamp(T0), values: {}, status: 'ok' }, { actor_id: TWIN, verified: true });
    expect(stranger).toEqual({ ok: false, error: "device 'ghost' is not registered" });
    // the good states fed earlier are untouched
    expect(guard.check('crane-01', MOVE).allowed).toBe(true);
  });

  it('counts checks, allowed, blocked and the block rate in percent', () => {
    const { guard } = crane();
    expect(guard.status()).toEqual({ checks: 0, allowed: 0, blocked: 0, block_rate: 0 });
    guard.check('crane-01', MOVE);
    guard.check('crane-01', MOVE);
    guard.check('nope', MOVE);
    expect(guard.status()).toEqual({ checks: 3, allowed: 2, blocked: 1, block_rate: 33.3 });
  });

  it.each([
    ['factory.crane.motion.move_left', true],
    ['factory.crane.move', true],
    ['move_left', true],
    ['factory.agv.motion', true],
    ['factory.crane.lights.on', false],
    ['factory.removal.log', false],
  ])('isMotionIntent(%s) is %s', (intent, motion) => {
    expect(isMotionIntent(intent)).toBe(motion);
  });
});

describe('twin audit chain', () => {
  function chain() {
    const { guard } = crane({ twin: { ageMs: 503 } });
    guard.check('crane-01', MOVE);
    guard.check('crane-99', MOVE);
    guard.check('crane-01', 'factory.crane.lights.on');
    return guard;
  }

  it('links every decision to the one before, in four layers', () => {
    const guard = chain();
    const tokens = guard.auditTokens();
    expect(tokens).toHaveLength(3);
    for (const token of tokens) expect(TwinAuditTokenSchema.parse(token)).toEqual(token);
    expect(tokens[0]!.eraan.parent_hash).toBeNull();
    expect(tokens[1]!.eraan.parent_hash).toBe(tokens[0]!.hash);
    expect(tokens[2]!.eraan.parent_hash).toBe(tokens[1]!.hash);
    expect(tokens[0]!.erin).toMatchObject({ decision: 'blocked', failed_checks: ['time'], drift_ms: 503 });
    expect(tokens[0]!.eraan).toMatchObject({ device_id: 'crane-01', physical_actor: PLC, twin_reported_by: TWIN });
    expect(tokens[0]!.eromheen).toEqual({ guard_node: 'twin-guard', timestamp: isoTimestamp(T0), profile: 'port', max_drift_ms: 200, max_state_age_ms: 1000 });
    expect(tokens[0]!.erachter).toEqual({ intent: MOVE, motion: true, safety_critical: true });
    expect(tokens[2]!.erachter.motion).toBe(false);
    expect(verifyAuditChain(tokens)).toEqual({ valid: true, problems: [] });
  });

  it('detects edits, re-hashed edits, removals and reordering', () => {
    const tokens = structuredClone([...chain().auditTokens()]);
    const edited = structuredClone(tokens);
    edited[0]!.erin.decision = 'allowed';
    expect(verifyAuditChain(edited).problems).toEqual(['token 0: hash does not match its content']);

    // the hash is sha256 of the key-sorted JSON of everything else, as anyone can recompute it
    for (const { hash, ...body } of tokens) expect(guardHash(body)).toBe(hash);

    // a correctly re-hashed edit still leaves the next token pointing at the old hash
    const { hash: _old, ...body } = structuredClone(tokens[1]!);
    body.erachter.intent = 'factory.crane.lights.off';
    const forged = { ...body, hash: guardHash(body) };
    expect(verifyAuditChain([tokens[0]!, forged, tokens[2]!]).problems).toEqual(['token 2: parent_hash does not name the previous token']);

    expect(verifyAuditChain([tokens[0]!, tokens[2]!]).problems).toEqual(['token 1: seq 2, expected 1', 'token 1: parent_hash does not name the previous token']);
    expect(verifyAuditChain([tokens[1]!, tokens[0]!, tokens[2]!]).valid).toBe(false);
    expect(verifyAuditChain([tokens[0]!, { not: 'a token' }, tokens[2]!]).problems).toEqual([
      expect.stringMatching(/^token 1: not a TwinAuditToken/),
      'token 2: parent_hash does not name the previous token',
    ]);
  });
});

/** The chain's hash recomputed here from its definition: sha256 over key-sorted JSON. */
function guardHash(body: object): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return `sha256:${createHash('sha256').update(JSON.stringify(sort(body))).digest('hex')}`;
}

describe('twin guard property', () => {
  const STATUSES = ['operational', 'fault', 'maintenance', 'emergency_stop'];
  const INTENTS = ['factory.crane.motion.move_left', 'factory.crane.move', 'move_left', 'factory.crane.lights.on', 'factory.removal.log', 'factory.agv.motion'];
  const KEYS = ['a', 'b', 'c'];
  const half = fc.integer({ min: -8, max: 8 }).map((n) => n / 2);
  const values = fc.dictionary(fc.constantFrom(...KEYS), half, { maxKeys: 3 });

  const scenario = fc.constantFrom(...TWIN_PROFILES).chain((profile) =>
    fc.record({
      profile: fc.constant(profile),
      tolerances: fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(0, 0.25, 0.5, 1), { maxKeys: 3 }),
      physicalValues: values,
      twinValues: values,
      physicalAge: fc.integer({ min: -2 * profile.max_drift_ms, max: profile.max_state_age_ms + profile.max_drift_ms }),
      twinOffset: fc.integer({ min: -2 * profile.max_drift_ms, max: 2 * profile.max_drift_ms }),
      physicalStatus: fc.constantFrom(...STATUSES),
      twinStatus: fc.constantFrom(...STATUSES),
      physicalActor: fc.constantFrom(PLC, PLC, 'impostor'),
      twinActor: fc.constantFrom(TWIN, TWIN, 'impostor'),
      physicalVerified: fc.boolean(),
      twinVerified: fc.boolean(),
      requireVerified: fc.boolean(),
      intent: fc.constantFrom(...INTENTS),
    }),
  );

  it('allows iff values, identity, time and intent all pass', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const clock = manualClock(T0);
        const guard = new TwinGuard({ clock, requireVerified: s.requireVerified });
        guard.register({ device_id: 'd', profile: s.profile.name as TwinProfileName, tolerances: s.tolerances, physical_actor: PLC, twin_actor: TWIN });
        const twinAge = s.physicalAge + s.twinOffset;
        guard.updatePhysical({ device_id: 'd', timestamp: isoTimestamp(T0 - s.physicalAge), values: s.physicalValues, status: s.physicalStatus }, { actor_id: s.physicalActor, verified: s.physicalVerified });
        guard.updateTwin({ device_id: 'd', timestamp: isoTimestamp(T0 - twinAge), values: s.twinValues, status: s.twinStatus }, { actor_id: s.twinActor, verified: s.twinVerified });

        const keys = new Set([...Object.keys(s.physicalValues), ...Object.keys(s.twinValues)]);
        const valuesOk = [...keys].every((k) => {
          const p = s.physicalValues[k];
          const t = s.twinValues[k];
          return p !== undefined && t !== undefined && Math.abs(p - t) <= (s.tolerances[k] ?? 0);
        });
        const identityOk = s.physicalActor === PLC && s.twinActor === TWIN && (!s.requireVerified || (s.physicalVerified && s.twinVerified));
        const { max_drift_ms: drift, max_state_age_ms: maxAge } = s.profile;
        const fresh = (age: number) => age <= maxAge && age >= -drift;
        const timeOk = Math.abs(s.twinOffset) <= drift && fresh(s.physicalAge) && fresh(twinAge);
        const motion = /(^|\.)(motion(\.|$)|move)/.test(s.intent);
        const intentOk = s.physicalStatus === s.twinStatus && !(motion && ['fault', 'emergency_stop'].includes(s.physicalStatus));

        const expected = { values: valuesOk, identity: identityOk, time: timeOk, intent: intentOk };
        const d = guard.check('d', s.intent);
        expect(d.allowed).toBe(valuesOk && identityOk && timeOk && intentOk);
        expect(d.failed_checks).toEqual(Object.entries(expected).filter(([, ok]) => !ok).map(([name]) => name));
        expect(d.drift_ms).toBe(Math.abs(s.twinOffset));
      }),
      { numRuns: 500 },
    );
  });
});

describe('twin profiles', () => {
  it('carries the seed thresholds and safety flags', () => {
    const byName = Object.fromEntries(TWIN_PROFILES.map((p) => [p.name, [p.max_drift_ms, p.safety_critical]]));
    expect(byName).toEqual({
      port: [200, true],
      manufacturing: [100, true],
      energy: [500, true],
      steel: [300, true],
      semiconductor: [50, true],
      building: [5000, false],
    });
    for (const p of TWIN_PROFILES) {
      expect(p.max_state_age_ms).toBeGreaterThan(p.max_drift_ms);
      expect(p.example_assets.length).toBeGreaterThan(0);
    }
  });

  it('prints as a table and as JSON', () => {
    const text = twinProfilesText();
    expect(text.split('\n')).toHaveLength(2 + TWIN_PROFILES.length);
    expect(text).toMatch(/semiconductor\s+Chip fab\s+50 ms\s+250 ms\s+yes/);
    expect(JSON.parse(twinProfilesJson())).toEqual(TWIN_PROFILES);
  });

  it('names the schemas for the registry', () => {
    expect(TwinStateSchema.meta()?.id).toBe('TwinState');
    expect(TwinAuditTokenSchema.meta()?.id).toBe('TwinAuditToken');
  });
});

const plcKey = signingKeyFromSeed(new Uint8Array(32).fill(1));
const twinKey = signingKeyFromSeed(new Uint8Array(32).fill(2));

describe('guardExecutor', () => {
  function bus(requireVerified = false) {
    const clock = manualClock(T0);
    const ids = seededIds(6);
    const ran: string[] = [];
    const inner: Executor = { execute: (d) => (ran.push(d.cap.intent), { details: { ran: true } }) };
    const guard = new TwinGuard({ clock, requireVerified });
    guard.register({ device_id: 'crane-01', profile: 'port', physical_actor: PLC, twin_actor: TWIN });
    const keyring = { actors: { [PLC]: [keyText(plcKey.publicKey)], [TWIN]: [keyText(twinKey.publicKey)] } };
    const b = createMemoryBus({ clock, ids, keyring, phases: { execute: guardExecutor(inner, guard) } });
    const cap = (actor_id: string, intent: string, payload: Record<string, unknown>) => makeCap({ actor_id, intent, authority_ref: 'authority:test', payload }, { clock, ids });
    const state = (actor: string, side: 'physical' | 'virtual', status = 'operational') =>
      cap(actor, `twin.state.${side}`, { device_id: 'crane-01', timestamp: isoTimestamp(T0), values: { x: 1 }, status });
    return { b, ran, guard, cap, state };
  }

  it('passes unguarded intents straight to the inner executor', async () => {
    const { b, ran, cap, guard } = bus();
    const r = await b.run(cap('svc.aint', 'service.rpc.ping', {}));
    expect(r.receipt.outcome).toBe('executed');
    expect(r.receipt.payload.ran).toBe(true);
    expect(ran).toEqual(['service.rpc.ping']);
    expect(guard.status().checks).toBe(0);
  });

  it('rejects a bad state cap with the zod error and a command naming no device', async () => {
    const { b, ran, cap } = bus();
    const bad = await b.run(cap(PLC, 'twin.state.physical', { device_id: 'crane-01', values: {}, status: 'fault' }));
    expect(bad.receipt.outcome).toBe('rejected');
    expect(bad.receipt.payload.reason).toBe('invalid physical state: timestamp: missing required field');
    const anonymous = await b.run(cap('op.aint', MOVE, { direction: 'left' }));
    expect(anonymous.receipt.outcome).toBe('rejected');
    expect(anonymous.receipt.payload.reason).toContain('names no payload.device_id');
    expect(ran).toEqual([]);
  });

  it('blocks an unknown device as resync-needed without running it', async () => {
    const { b, ran, cap } = bus();
    const r = await b.run(cap('op.aint', MOVE, { device_id: 'crane-99' }), { spawn: true });
    expect(r.receipt.outcome).toBe('resync-needed');
    expect(r.receipt.payload.accepted).toBe(false);
    expect(r.receipt.payload.reason).toContain("device 'crane-99' is not registered");
    expect(r.spawned_caps.map((c) => c.intent)).toEqual([`${MOVE}.triage.resync`]);
    expect(ran).toEqual([]);
  });

  it('takes seal verification from the bus, never from the payload', async () => {
    for (const sealed of [false, true]) {
      const allowed = sealed;
      const { b, state, cap, ran } = bus(true);
      // states claim `verified` in vain; only a seal the bus checked against the keyring counts
      const submit = (c: Cap, key: SigningKey) => b.submit(sealed ? { sealed: sealCap(c, key).bytes } : { cap: { ...c, payload: { ...c.payload } } });
      await submit(state(PLC, 'physical'), plcKey);
      await submit(state(TWIN, 'virtual'), twinKey);
      const r = await b.run(cap('op.aint', MOVE, { device_id: 'crane-01', verified: true }));
      expect((r.receipt.payload.twin_decision as { allowed: boolean }).allowed).toBe(allowed);
      expect(ran).toEqual(allowed ? [MOVE] : []);
    }
  });
});
