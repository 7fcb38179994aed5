import { toBase64 } from '../../src/bytes.js';
import type { CapContext } from '../../src/records/cap.js';
import type { Keyring } from '../../src/seal/keys.js';
import type { Admission, Submission, Verifier } from '../../src/pipeline/phases.js';
import type { Ed25519Backend, Ed25519Offload } from '../../src/seal/seal.js';
import { UNSEALED } from '../../src/records/seal-facts.js';
import { standInCap } from '../../src/records/stand-in.js';
import { checkSealedCap, checkSealedCapOffloaded, type CapTrust } from '../../src/seal/trust.js';

export interface SealVerifierOptions {
  ctx: CapContext;
  keyring?: Keyring;
  /** this bus's own key, whose follow-ups come back sealed with it (over NATS) */
  busKeys?: readonly string[];
  /** accept cap objects that carry no seal (verified = false); default true */
  allowUnsealed?: boolean;
  maxBytes?: number;
  backend?: Ed25519Backend;
}

/** The verify step: opens sealed caps, decides trust by product.md §3, refuses what fails. */
export class SealVerifier implements Verifier {
  /** present where the backend can verify off this thread */
  readonly verifyOffloaded?: (submission: Submission) => Promise<Admission>;

  constructor(private readonly options: SealVerifierOptions) {
    const { backend } = options;
    if (backend?.offload) {
      const offloading = { ...options, backend: backend as Ed25519Backend & { offload: Ed25519Offload } };
      this.verifyOffloaded = (submission) =>
        'cap' in submission ? Promise.resolve(this.verify(submission)) : checkSealedCapOffloaded(submission.sealed, offloading, submission.read).then((trust) => this.admission(submission.sealed, trust));
    }
  }

  verify(submission: Submission): Admission {
    if ('cap' in submission) {
      if (this.options.allowUnsealed === false) {
        return { cap: submission.cap, seal: { ...UNSEALED, trust: 'refused' }, refused: 'unsealed: this bus requires sealed caps (--require-seal)' };
      }
      return { cap: submission.cap, seal: UNSEALED };
    }
    return this.admission(submission.sealed, checkSealedCap(submission.sealed, this.options, submission.read));
  }

  private admission(sealed: Uint8Array, trust: CapTrust): Admission {
    const cose = toBase64(sealed);
    if (trust.ok) {
      return { cap: trust.cap, seal: { trust: trust.trust, verified: true, content_hash: trust.content_hash, kid: trust.kid_text, cose, cbor: null } };
    }
    const tooLarge = trust.code === 'too-large';
    return {
      cap: standInCap(trust.partial ?? {}, this.options.ctx),
      // an over-size message is not kept; anything else is kept as evidence of what was refused
      seal: { trust: 'refused', verified: false, content_hash: trust.content_hash ?? null, kid: null, cose: tooLarge ? null : cose, cbor: null },
      refused: `${trust.code}: ${trust.reason}`,
    };
  }
}
