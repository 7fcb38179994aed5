import type { JetStreamClient, KV } from 'nats';
import type { Encoding } from './headers.js';

export const RECEIPT_BUCKET = 'capbus-receipts';

export type Stored =
  | { state: 'none' }
  | { state: 'claimed'; revision: number; claimedBy: string; ageMs: number }
  | { state: 'done'; bytes: Uint8Array; encoding: Encoding };

const COSE_SIGN1_FIRST_BYTE = 0xd2; // CBOR tag 18: a sealed receipt
const WRONG_LAST_SEQUENCE = 10071; // JetStream: the key's revision is not the one expected

const utf8 = new TextDecoder();

/**
 * The durable record of every cap, keyed by cap_id (KV bucket capbus-receipts). Before a cap runs
 * its worker claims the key with an atomic create; the receipt then replaces the claim, only if
 * the claim is still that worker's. A claim without a receipt means a worker stopped mid-cap.
 */
export class ReceiptStore {
  private constructor(private readonly kv: KV) {}

  static async open(js: JetStreamClient, bucket = RECEIPT_BUCKET): Promise<ReceiptStore> {
    return new ReceiptStore(await js.views.kv(bucket, { history: 1 }));
  }

  async lookup(capId: string): Promise<Stored> {
    const entry = await this.kv.get(capId);
    if (entry === null || entry.operation !== 'PUT') return { state: 'none' };
    const bytes = entry.value;
    if (bytes[0] === COSE_SIGN1_FIRST_BYTE) return { state: 'done', bytes, encoding: 'cose' };
    const record = JSON.parse(utf8.decode(bytes)) as { claimed_by?: string };
    if (typeof record.claimed_by === 'string') {
      // the server's timestamp, so workers on other machines agree on the claim's age
      return { state: 'claimed', revision: entry.revision, claimedBy: record.claimed_by, ageMs: Date.now() - entry.created.getTime() };
    }
    return { state: 'done', bytes, encoding: 'json' };
  }

  /** The claim's revision, or null when another worker got there first. */
  async claim(capId: string, workerId: string): Promise<number | null> {
    try {
      return await this.kv.create(capId, JSON.stringify({ claimed_by: workerId }));
    } catch (error) {
      if (isWrongRevision(error)) return null;
      throw error;
    }
  }

  /** Replaces our claim with the receipt; false when the claim was overtaken. */
  async save(capId: string, receipt: Uint8Array, claimRevision: number): Promise<boolean> {
    try {
      await this.kv.update(capId, receipt, claimRevision);
      return true;
    } catch (error) {
      if (isWrongRevision(error)) return false;
      throw error;
    }
  }
}

/** JetStream KV: the key's revision was not the one a create or update expected (another writer was first). */
export function isWrongRevision(error: unknown): boolean {
  return (error as { api_error?: { err_code?: number } }).api_error?.err_code === WRONG_LAST_SEQUENCE;
}
