import { encodeCbor } from '../../src/seal/cbor-encode.js';
import type { CborValue } from '../../src/seal/cbor-value.js';
import type { Sealer } from '../../src/pipeline/phases.js';
import { contentHash, keyText, sealRecord, type Ed25519Backend, type SigningKey } from '../../src/seal/seal.js';

/** Seals receipts and follow-ups with the bus key. */
export class KeySealer implements Sealer {
  readonly publicKey: string;

  constructor(
    private readonly key: SigningKey,
    private readonly backend?: Ed25519Backend,
  ) {
    this.publicKey = keyText(key.publicKey);
  }

  seal(record: Record<string, unknown>) {
    const { bytes, content_hash } = sealRecord(record, this.key, this.backend);
    return { bytes, content_hash };
  }

  hash(record: Record<string, unknown>) {
    const bytes = encodeCbor(record as CborValue);
    return { bytes, content_hash: contentHash(bytes, this.backend) };
  }
}
