import { describe, expect, it } from 'vitest';
import { isoTimestamp, manualClock, seededIds } from '../src/clock.js';
import { parseCapLines } from '../src/input.js';
import type { Executor } from '../src/pipeline/phases.js';
import { createMemoryBus } from '../adapters/memory/index.js';
import { guardExecutor, runTwinDemo, TwinGuard, twinInfoText, verifyAuditChain, type TwinDecision } from '../adapters/twin-guard/index.js';

const decisionOf = (payload: Record<string, unknown>) => payload.twin_decision as TwinDecision;

describe('runTwinDemo', () => {
  it('blocks and triages the move while out of sync, then executes it once in sync', async () => {
    const { results, audit, lines } = await runTwinDemo();
    expect(results.map((r) => [r.distributed.cap.intent, r.receipt.outcome])).toEqual([
      ['twin.state.physical', 'executed'],
      ['twin.state.virtual', 'executed'],
      ['factory.crane.motion.move_left', 'resync-needed'],
      ['factory.crane.motion.move_left.triage.resync', 'executed'],
      ['twin.state.physical', 'executed'],
      ['twin.state.virtual', 'executed'],
      ['factory.crane.motion.move_left', 'executed'],
    ]);
    const [blocked, triage, allowed] = [results[2]!, results[3]!, results[6]!];
    expect(blocked.receipt.payload.accepted).toBe(false);
    expect(decisionOf(blocked.receipt.payload)).toMatchObject({ allowed: false, failed_checks: ['time', 'intent'], drift_ms: 503 });
    expect(triage.distributed.lane_id).toBe('lane:triage.resync:default');
    expect(triage.distributed.lane_policy.lane_class).toBe('triage-resync');
    expect(triage.distributed.cap.payload).toMatchObject({ source_receipt_id: blocked.receipt.receipt_id, triage_reason: 'resync-needed' });
    expect(allowed.receipt.payload.accepted).toBe(true);
    expect(decisionOf(allowed.receipt.payload)).toMatchObject({ allowed: true, failed_checks: [], drift_ms: 40 });
    expect(allowed.spawned_caps).toEqual([]);

    expect(audit.map((t) => t.erin.decision)).toEqual(['blocked', 'allowed']);
    expect(verifyAuditChain(audit).valid).toBe(true);
    expect(lines.join('\n')).toContain('blocked (time, intent): drift 503 ms > 200 ms');
    expect(lines.at(-2)).toBe('audit: 2 tokens, chain verified');
    expect(lines.at(-1)).toBe('guard demo-twin-guard: 2 checks, 1 allowed, 1 blocked (50% blocked)');
  });

  it('prints the same every run, and as JSON on request', async () => {
    expect((await runTwinDemo()).lines).toEqual((await runTwinDemo()).lines);
    const { lines } = await runTwinDemo({ json: true });
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]!);
    expect(doc.steps.map((s: { receipt: { outcome: string } }) => s.receipt.outcome)).toContain('resync-needed');
    expect(doc.audit_chain).toEqual({ valid: true, problems: [] });
    expect(doc.status).toEqual({ checks: 2, allowed: 1, blocked: 1, block_rate: 50 });
  });

  it('runs on a caller clock', async () => {
    const { audit } = await runTwinDemo({ clock: manualClock(Date.parse('2030-01-01T00:00:00Z')) });
    expect(audit.map((t) => [t.erin.decision, t.eromheen.timestamp])).toEqual([
      ['blocked', '2030-01-01T00:00:00.000Z'],
      ['allowed', '2030-01-01T00:00:00.000Z'],
    ]);
  });
});

describe('state caps then a factory command, as an input file', () => {
  const T0 = Date.parse('2026-03-01T08:00:00Z');

  function setup() {
    const clock = manualClock(T0);
    const ids = seededIds(42);
    const ran: string[] = [];
    const inner: Executor = { execute: (d) => (ran.push(d.cap.intent), {}) };
    const guard = new TwinGuard({ clock });
    guard.register({ device_id: 'press-3', profile: 'manufacturing', tolerances: { force_kn: 5 }, physical_actor: 'press-3.plc.aint', twin_actor: 'plant-twin.aint' });
    const bus = createMemoryBus({ clock, ids, phases: { execute: guardExecutor(inner, guard) } });
    const lines = (twinForce: number, twinAgeMs: number) =>
      [
        { actor_id: 'press-3.plc.aint', intent: 'twin.state.physical', authority_ref: 'authority:plant', payload: { device_id: 'press-3', timestamp: isoTimestamp(T0), values: { force_kn: 120 }, status: 'operational' } },
        { actor_id: 'plant-twin.aint', intent: 'twin.state.virtual', authority_ref: 'authority:plant', payload: { device_id: 'press-3', timestamp: isoTimestamp(T0 - twinAgeMs), values: { force_kn: twinForce }, status: 'operational' } },
        { actor_id: 'line-controller.aint', intent: 'factory.press.move_ram', authority_ref: 'authority:plant', payload: { device_id: 'press-3', stroke_mm: 40 } },
      ]
        .map((cap) => JSON.stringify(cap))
        .join('\n');
    const run = async (text: string) => {
      const { entries, problems } = parseCapLines(text, { clock, ids });
      expect(problems).toEqual([]);
      return bus.runRoots(entries.map((e) => (e.kind === 'cap' ? e.cap : expect.unreachable())), 2);
    };
    return { run, lines, ran, guard };
  }

  it('answers an out-of-sync device with resync-needed and a triage.resync follow-up, and runs it once in sync', async () => {
    const { run, lines, ran, guard } = setup();
    const outOfSync = await run(lines(112, 150));
    expect(outOfSync.map((r) => r.receipt.outcome)).toEqual(['executed', 'executed', 'resync-needed', 'executed']);
    const blocked = outOfSync[2]!;
    expect(blocked.receipt.payload.reason).toBe('twin guard blocked (values, time): force_kn Δ8 > 5; drift 150 ms > 100 ms');
    expect(decisionOf(blocked.receipt.payload).value_deltas.force_kn).toEqual({ physical: 120, twin: 112, delta: 8, tolerance: 5, within: false });
    expect(blocked.spawned_caps.map((c) => [c.intent, c.lane_hint])).toEqual([['factory.press.move_ram.triage.resync', 'lane:triage.resync:default']]);
    expect(outOfSync[3]!.distributed.cap.intent).toBe('factory.press.move_ram.triage.resync');
    // the move never reached the executor; only its triage follow-up (which moves nothing) did
    expect(ran).toEqual(['factory.press.move_ram.triage.resync']);

    const inSync = await run(lines(118, 60));
    expect(inSync.map((r) => r.receipt.outcome)).toEqual(['executed', 'executed', 'executed']);
    const executed = inSync[2]!;
    expect(decisionOf(executed.receipt.payload)).toMatchObject({ allowed: true, drift_ms: 60 });
    expect(ran).toEqual(['factory.press.move_ram.triage.resync', 'factory.press.move_ram']);
    expect(guard.status()).toEqual({ checks: 2, allowed: 1, blocked: 1, block_rate: 50 });
    expect(twinInfoText(guard)).toContain('press-3 (profile manufacturing)');
  });
});
