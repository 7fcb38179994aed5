import { describe, expect, it } from 'vitest';
import { parseCap } from '../src/records/cap.js';
import { testContext } from './helpers.js';

const base = { actor_id: 'a.aint', intent: 'agent.x', authority_ref: 'sam:x', payload: {} };

describe('cap records (behaviour.md §1)', () => {
  it('fills defaults and derived fields', () => {
    const r = parseCap(base, testContext());
    expect(r.ok && r.cap).toMatchObject({
      cap_id: expect.stringMatching(/^cap_[0-9a-f]{16}$/), parent_id: null, trust_basis: 'jis', route_class: 'direct', executor_class: 'default',
      lane_hint: null, object_ref: null, actor_aint: 'a.aint', actor_jis_pubkey: null, attestation_layer: 'jis',
    });
    if (r.ok) expect(r.cap.attestation_ref).toBe(`attest:${r.cap.cap_id}`);
  });
  it('actor_aint only from .aint actors; attestation_ref only for jis', () => {
    const r = parseCap({ ...base, actor_id: 'svc', attestation_layer: 'self-signed' }, testContext());
    expect(r.ok && [r.cap.actor_aint, r.cap.attestation_ref]).toEqual([null, null]);
  });
  it('names what is wrong: missing, wrong type, bad enum, unknown field, bad intent', () => {
    const error = (value: unknown) => {
      const r = parseCap(value, testContext());
      return r.ok ? '' : r.error;
    };
    expect(error({ ...base, actor_id: undefined })).toBe('actor_id: missing required field');
    expect(error({ ...base, payload: 'x' })).toMatch(/^payload: Invalid input: expected record/);
    expect(error({ ...base, route_class: 'teleport' })).toMatch(/^route_class: /);
    expect(error({ ...base, colour: 'red' })).toBe('unknown field(s): colour');
    expect(error({ ...base, intent: 'a..b' })).toContain('intent must be dot-separated tokens');
    expect(error({ ...base, created_at: 'soon' })).toContain('created_at must be an ISO-8601 timestamp');
    expect(error([])).toMatch(/Invalid input/);
  });
});
