import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../adapters/memory/index.js';
import { makeCap, type Cap, type CapContext } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import { gatewayEvents } from '../src/exports/gateway-event.js';
import { isBound, type Keyring } from '../src/seal/keys.js';
import { keyText } from '../src/seal/seal.js';
import { signingKeyFromSeed } from '../src/seal/keys.js';
import { checkSealedCap, sealCap } from '../src/seal/trust.js';

/** product.md §3 as corrected by issue 13: a key speaks for every name a cap uses, or for none. */
const ctx: CapContext = { clock: manualClock(Date.UTC(2026, 0, 15)), ids: seededIds(13) };
const bob = signingKeyFromSeed(new Uint8Array(32).fill(2));
const alice = signingKeyFromSeed(new Uint8Array(32).fill(1));
const fresh = signingKeyFromSeed(new Uint8Array(32).fill(3));
const keyring: Keyring = { actors: { 'alice.aint': [keyText(alice.publicKey)], 'bob.aint': [keyText(bob.publicKey)] } };
const cap = (overrides: Partial<Cap>): Cap =>
  makeCap({ cap_id: 'cap_0000000000000b0b', actor_id: 'bob.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: {}, ...overrides }, ctx);
const bobKid = keyText(bob.publicKey);
const freshKid = keyText(fresh.publicKey);

describe('identity binding (issue 13, item 1)', () => {
  it('a jis key bound to actor_id only may not speak as a different actor_aint', () => {
    const trust = checkSealedCap(sealCap(cap({ actor_aint: 'alice.aint' }), bob).bytes, { ctx, keyring });
    expect(trust).toMatchObject({
      ok: false,
      code: 'key-not-bound',
      reason: `keyring does not bind key ${bobKid} to actor alice.aint (a key must be bound to every identity the cap names: bob.aint and alice.aint)`,
    });
  });

  it('a jis key bound to actor_aint only may not speak as a different actor_id', () => {
    const trust = checkSealedCap(sealCap(cap({ actor_id: 'gateway.svc', actor_aint: 'bob.aint' }), bob).bytes, { ctx, keyring });
    expect(trust).toMatchObject({ ok: false, code: 'key-not-bound', reason: expect.stringMatching(/^keyring does not bind key \S+ to actor gateway\.svc \(/) });
  });

  it('a key bound to both names is verified', () => {
    const both: Keyring = { actors: { ...keyring.actors, 'gateway.svc': [bobKid] } };
    expect(checkSealedCap(sealCap(cap({ actor_id: 'gateway.svc', actor_aint: 'bob.aint' }), bob).bytes, { ctx, keyring: both })).toMatchObject({ ok: true, trust: 'jis' });
  });

  it.each([
    ['actor_id', { actor_id: 'alice.aint' }, 'alice.aint'],
    ['actor_aint', { actor_id: 'mallory.svc', actor_aint: 'alice.aint' }, 'alice.aint'],
  ])('a self-signed cap may not use a name the keyring binds to other keys (%s)', (_field, names, taken) => {
    const sealed = sealCap(cap({ ...names, attestation_layer: 'self-signed', actor_jis_pubkey: freshKid }), fresh);
    expect(checkSealedCap(sealed.bytes, { ctx, keyring })).toMatchObject({
      ok: false,
      code: 'key-not-bound',
      reason: `self-signed cap uses the name ${taken}, which the keyring binds to other keys; a self-signed key may not speak for a bound identity`,
    });
  });

  it('a self-signed cap with an unbound name, or with a key the keyring binds to its name, is verified as self-signed', () => {
    const own = sealCap(cap({ actor_id: 'newcomer.aint', attestation_layer: 'self-signed', actor_jis_pubkey: freshKid }), fresh);
    expect(checkSealedCap(own.bytes, { ctx, keyring })).toMatchObject({ ok: true, trust: 'self-signed' });
    const bound = sealCap(cap({ attestation_layer: 'self-signed', actor_jis_pubkey: bobKid }), bob);
    expect(checkSealedCap(bound.bytes, { ctx, keyring })).toMatchObject({ ok: true, trust: 'self-signed' });
  });

  it('isBound asks for every name', () => {
    expect(isBound(keyring, ['bob.aint', 'alice.aint'], bobKid)).toBe(false);
    expect(isBound(keyring, ['bob.aint'], bobKid)).toBe(true);
  });

  it('on a bus the impersonating cap is refused, so no gateway event reports it verified as alice', async () => {
    const bus = createMemoryBus({ clock: ctx.clock, ids: seededIds(5), keyring });
    const results = await bus.runRoots([{ sealed: sealCap(cap({ actor_aint: 'alice.aint' }), bob).bytes }], 1);
    expect(results[0]!.receipt.outcome).toBe('rejected');
    const events = gatewayEvents(results);
    expect(events.filter((e) => e.verified === true && e.agent_id === 'alice.aint')).toEqual([]);
  });
});
