import { describe, expect, it } from 'vitest';
import { followUpCaps, outcomeFor, requestedMode, resolveMode, type ContinuationMode } from '../src/policy/continuation.js';
import { cap, testContext } from './helpers.js';

describe('continuation mode and outcome (behaviour.md §6)', () => {
  it('trims and lowercases; unknown or non-string is receipt', () => {
    expect(requestedMode({ continuation_mode: '  FORK ' })).toBe('fork');
    expect(requestedMode({ continuation_mode: 'Resync-Needed' })).toBe('resync-needed');
    expect(requestedMode({ continuation_mode: 'teleport' })).toBe('receipt');
    expect(requestedMode({ continuation_mode: 3 })).toBe('receipt');
    expect(requestedMode({})).toBe('receipt');
  });
  it('resume reads the coffee policy; sip_anyway resumes frozen', () => {
    const table = {
      freeze_resume: 'freeze_resume', fork_on_hop_off: 'fork_on_hop_off', rebuild: 'rebuild', offline_fallback: 'offline_fallback',
      hard_avoid: 'hard_avoid', polite_avoid: 'polite_avoid', sip_anyway: 'freeze_resume',
    } as const;
    for (const [coffee, mode] of Object.entries(table)) expect(resolveMode('resume', coffee as keyof typeof table)).toBe(mode);
    expect(resolveMode('fork', 'hard_avoid')).toBe('fork');
  });
  it('outcome: rejected for reject, resync-needed for resync-needed, else executed', () => {
    expect(outcomeFor('reject')).toBe('rejected');
    expect(outcomeFor('resync-needed')).toBe('resync-needed');
    for (const m of ['receipt', 'continue', 'fork', 'freeze_resume', 'fork_on_hop_off', 'rebuild', 'offline_fallback', 'polite_avoid', 'hard_avoid'] as const) {
      expect(outcomeFor(m)).toBe('executed');
    }
  });
});

describe('follow-up caps (behaviour.md §7)', () => {
  const source = cap({
    actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', executor_class: 'gpu', object_ref: 'obj:1',
    trust_basis: 'jis', lane_hint: 'lane:hinted', route_class: 'direct', payload: { continuation_mode: 'fork', x: 1 },
  });
  const spawn = (mode: ContinuationMode, from = source) => followUpCaps(from, { receipt_id: 'receipt_00000000000000aa', continuation_mode: mode }, testContext(9));
  const view = (c: ReturnType<typeof spawn>[number]) => ({ intent: c.intent, route_class: c.route_class, lane_hint: c.lane_hint, payload: c.payload });
  const base = { source_receipt_id: 'receipt_00000000000000aa', source_cap_id: source.cap_id, continuation_from: 'agent.tool.high', continuation_mode: 'receipt' };

  it('receipt, polite_avoid and hard_avoid spawn nothing', () => {
    for (const m of ['receipt', 'polite_avoid', 'hard_avoid'] as const) expect(spawn(m)).toEqual([]);
  });
  it('freeze_resume → .resume.frozen on the source route and lane', () => {
    expect(spawn('freeze_resume').map(view)).toEqual([
      { intent: 'agent.tool.high.resume.frozen', route_class: 'direct', lane_hint: 'lane:hinted', payload: { ...base, resume_mode: 'freeze_resume', frozen_restore: true } },
    ]);
  });
  it('fork_on_hop_off → catchup by relay, then live on the source route', () => {
    expect(spawn('fork_on_hop_off').map(view)).toEqual([
      { intent: 'agent.tool.high.resume.catchup', route_class: 'relay', lane_hint: null, payload: { ...base, resume_mode: 'fork_on_hop_off', branch: 'catchup', catchup_required: true } },
      { intent: 'agent.tool.high.resume.live', route_class: 'direct', lane_hint: null, payload: { ...base, resume_mode: 'fork_on_hop_off', branch: 'live', live_reentry: true } },
    ]);
  });
  it('offline_fallback, rebuild, reject, resync-needed → named lanes by relay', () => {
    const rows = [
      ['offline_fallback', 'agent.tool.high.resume.offline', 'lane:offline.fallback:gpu', { resume_mode: 'offline_fallback', offline_fallback: true }],
      ['rebuild', 'agent.tool.high.resume.rebuild', 'lane:rebuild:gpu', { resume_mode: 'rebuild', rebuild_pipeline: true }],
      ['reject', 'agent.tool.high.triage.reject', 'lane:triage.reject:gpu', { triage_reason: 'executor-reject', rejected: true }],
      ['resync-needed', 'agent.tool.high.triage.resync', 'lane:triage.resync:gpu', { triage_reason: 'resync-needed', resync_requested: true }],
    ] as const;
    for (const [mode, intent, lane, extras] of rows) {
      expect(spawn(mode).map(view)).toEqual([{ intent, route_class: 'relay', lane_hint: lane, payload: { ...base, ...extras } }]);
    }
  });
  it('continue → the same intent, route and lane', () => {
    expect(spawn('continue').map(view)).toEqual([{ intent: 'agent.tool.high', route_class: 'direct', lane_hint: 'lane:hinted', payload: { ...base, continued: true } }]);
  });
  it('fork → alpha on the source route, beta by relay when the source is direct', () => {
    expect(spawn('fork').map(view)).toEqual([
      { intent: 'agent.tool.high.fork.alpha', route_class: 'direct', lane_hint: null, payload: { ...base, fork_branch: 'alpha', forked: true } },
      { intent: 'agent.tool.high.fork.beta', route_class: 'relay', lane_hint: null, payload: { ...base, fork_branch: 'beta', forked: true } },
    ]);
    const local = { ...source, route_class: 'local' as const };
    expect(spawn('fork', local).map((c) => c.route_class)).toEqual(['local', 'local']);
  });
  it('every follow-up: new id, same actor/authority/trust/executor/object, parent = source', () => {
    for (const child of [...spawn('fork'), ...spawn('reject')]) {
      expect(child.cap_id).toMatch(/^cap_[0-9a-f]{16}$/);
      expect(child.cap_id).not.toBe(source.cap_id);
      expect(child).toMatchObject({ actor_id: 'codex.aint', authority_ref: 'sam:tool', trust_basis: 'jis', executor_class: 'gpu', object_ref: 'obj:1', parent_id: source.cap_id });
    }
  });
  it('carries the receipt hash once receipts are sealed', () => {
    const [child] = followUpCaps(source, { receipt_id: 'receipt_1', continuation_mode: 'continue', receipt_hash: 'sha256:ab' }, testContext());
    expect(child!.payload.source_receipt_hash).toBe('sha256:ab');
  });
});
