import { encodeCbor } from '../../src/seal/cbor-encode.js';
import type { CborValue } from '../../src/seal/cbor-value.js';
import type { Sealer } from '../../src/pipeline/phases.js';
import { contentHash, keyText, sealRecord, sealRecordOffloaded, type Ed25519Backend, type Ed25519Offload, type SigningKey } from '../../src/seal/seal.js';

/**
 * Seals receipts and follow-ups with the bus key. With `signs: false` it only hashes them: the
 * content hashes are those sealing would give, without the cost of Ed25519 where no output
 * carries the seals.
 */
export class KeySealer implements Sealer {
  readonly publicKey: string;

  constructor(
    private readonly key: SigningKey,
    private readonly backend?: Ed25519Backend,
    private readonly signs = true,
  ) {
    this.publicKey = keyText(key.publicKey);
    const offloading = backend?.offload ? (backend as Ed25519Backend & { offload: Ed25519Offload }) : undefined;
    if (signs && offloading) this.sealOffloaded = (record) => sealRecordOffloaded(record, key, offloading);
  }

  seal(record: Record<string, unknown>) {
    if (!this.signs) return { bytes: null, content_hash: this.hash(record).content_hash };
    const { bytes, content_hash } = sealRecord(record, this.key, this.backend);
    return { bytes, content_hash };
  }

  /** present where the backend can sign off this thread and seals are signed at all */
  readonly sealOffloaded?: (record: Record<string, unknown>) => { bytes: Promise<Uint8Array>; content_hash: string };

  hash(record: Record<string, unknown>) {
    const bytes = encodeCbor(record as CborValue);
    return { bytes, content_hash: contentHash(bytes, this.backend) };
  }
}
