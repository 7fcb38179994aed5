import { parseCap, type Cap, type CapContext } from '../records/cap.js';
import { isPlainObject } from '../json.js';
import { partialCap } from '../records/stand-in.js';
import { namesBoundElsewhere, unboundNames, type Keyring } from './keys.js';
import { openSealed, openSealedOffloaded, sealRecord, type Ed25519Backend, type Ed25519Offload, type Opened, type Sealed, type SealedRead, type SigningKey } from './seal.js';

/** The trust outcome of a sealed cap (product.md §3): verified with a trust level, or rejected with a reason. */
export type CapTrust =
  | { ok: true; cap: Cap; content_hash: string; kid_text: string; trust: 'jis' | 'self-signed' | 'bus'; verified: true }
  | {
      ok: false;
      code: string;
      reason: string;
      content_hash?: string;
      /** The cap's text fields as far as they could be read, so the rejection receipt can name them. */
      partial?: Record<string, string>;
    };

export interface TrustOptions {
  keyring?: Keyring;
  /** keys of buses whose follow-up caps (caps with a parent) are trusted as issued; keyring.bus counts too */
  busKeys?: readonly string[];
  maxBytes?: number;
  backend?: Ed25519Backend;
  ctx: CapContext;
}

export function sealCap(cap: Cap, key: SigningKey, backend?: Ed25519Backend): Sealed {
  return sealRecord(cap, key, backend);
}

/**
 * Opens a sealed cap and decides whether its signer may speak for its actor. Never throws.
 * `read`: what readSealed already read of these bytes, so they are not read again.
 */
export function checkSealedCap(bytes: Uint8Array, options: TrustOptions, read?: SealedRead): CapTrust {
  return trustOpened(openSealed(bytes, { maxBytes: options.maxBytes, backend: options.backend }, read), options);
}

/** checkSealedCap with the signature checked off the calling thread: the same answers. */
export function checkSealedCapOffloaded(bytes: Uint8Array, options: TrustOptions & { backend: Ed25519Backend & { offload: Ed25519Offload } }, read?: SealedRead): Promise<CapTrust> {
  return openSealedOffloaded(bytes, { maxBytes: options.maxBytes, backend: options.backend }, read).then((opened) => trustOpened(opened, options));
}

/**
 * Decides whether the signer of an opened sealed cap may speak for its actor, from what opening
 * read: the payload is decoded once, in openSealed, for both the cap and a refusal's partial record.
 */
export function trustOpened(opened: Opened, options: Pick<TrustOptions, 'keyring' | 'busKeys' | 'ctx'>): CapTrust {
  if (!opened.ok) {
    return { ok: false, code: opened.code, reason: opened.reason, content_hash: opened.content_hash, partial: partialCap(opened.unverified) };
  }
  const { content_hash, kid_text, record } = opened;
  const reject = (code: string, reason: string): CapTrust => ({ ok: false, code, reason, content_hash, partial: partialCap(record) });

  if (isPlainObject(record)) {
    // Generated fields would differ on every reading, and the seal covers the bytes as sent.
    const missing = record.cap_id === undefined || record.created_at === undefined ? ['cap_id', 'created_at'].filter((field) => record[field] === undefined) : [];
    if (missing.length > 0) {
      return reject(
        'missing-sealed-field',
        `sealed cap has no ${missing.join(' or ')}; a sealed cap must carry its own cap_id and created_at, since the seal covers them`,
      );
    }
  }
  const parsed = parseCap(record, options.ctx);
  if (!parsed.ok) return reject('invalid-cap', `payload is not a valid cap: ${parsed.error}`);
  const cap = parsed.cap;

  if (cap.attestation_layer === 'none') {
    return reject('sealed-unattested', 'cap is sealed but declares attestation_layer "none"; a sealed cap must be "jis" or "self-signed"');
  }
  if (cap.actor_jis_pubkey !== null && cap.actor_jis_pubkey.toLowerCase() !== kid_text) {
    return reject('key-mismatch', `cap names actor_jis_pubkey ${cap.actor_jis_pubkey} but is sealed with kid ${kid_text}`);
  }
  switch (cap.attestation_layer) {
    case 'self-signed':
      if (cap.actor_jis_pubkey === null) {
        return reject('self-signed-without-key', `self-signed cap must name its key in actor_jis_pubkey (${kid_text})`);
      }
      const taken = options.keyring === undefined ? [] : namesBoundElsewhere(options.keyring, capIdentities(cap), kid_text);
      if (taken.length > 0) {
        return reject(
          'key-not-bound',
          `self-signed cap uses the name ${taken.join(' and ')}, which the keyring binds to other keys; a self-signed key may not speak for a bound identity`,
        );
      }
      return { ok: true, cap, content_hash, kid_text, trust: 'self-signed', verified: true };
    case 'jis': {
      if (cap.parent_id !== null && isBusKey(options, kid_text)) return { ok: true, cap, content_hash, kid_text, trust: 'bus', verified: true };
      const actors = capIdentities(cap);
      if (options.keyring === undefined) {
        return reject('key-not-bound', `no keyring is configured, so key ${kid_text} is not bound to actor ${actors.join(' and ')}`);
      }
      const unbound = unboundNames(options.keyring, actors, kid_text);
      if (unbound.length > 0) {
        const every = actors.length > 1 ? ` (a key must be bound to every identity the cap names: ${actors.join(' and ')})` : '';
        return reject('key-not-bound', `keyring does not bind key ${kid_text} to actor ${unbound.join(' and ')}${every}`);
      }
      return { ok: true, cap, content_hash, kid_text, trust: 'jis', verified: true };
    }
  }
}

/** Every identity a cap speaks as (product.md §3): actor_id, and actor_aint when it names someone else. */
function capIdentities(cap: Cap): string[] {
  return cap.actor_aint !== null && cap.actor_aint !== cap.actor_id ? [cap.actor_id, cap.actor_aint] : [cap.actor_id];
}

/** A key of a bus whose follow-ups are trusted as issued: listed in busKeys, or the keyring's bus. */
function isBusKey(options: Pick<TrustOptions, 'keyring' | 'busKeys'>, kidText: string): boolean {
  return options.keyring?.bus === kidText || (options.busKeys ?? []).includes(kidText);
}
