import { encodeCbor } from '../../src/seal/cbor-encode.js';
import type { CborValue } from '../../src/seal/cbor-value.js';
import type { Sealer } from '../../src/pipeline/phases.js';
import { contentHash, keyText, sealRecord, type Ed25519Backend, type SigningKey } from '../../src/seal/seal.js';

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
  }

  seal(record: Record<string, unknown>) {
    if (!this.signs) return { bytes: null, content_hash: this.hash(record).content_hash };
    const { bytes, content_hash } = sealRecord(record, this.key, this.backend);
    return { bytes, content_hash };
  }

  hash(record: Record<string, unknown>) {
    const bytes = encodeCbor(record as CborValue);
    return { bytes, content_hash: contentHash(bytes, this.backend) };
  }
}
