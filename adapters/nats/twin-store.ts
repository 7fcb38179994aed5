import type { JetStreamClient, KV } from 'nats';
import { ReadingSchema, supersedes, type Reading, type Sides, type TwinSide, type TwinStore } from '../twin-guard/index.js';
import { isWrongRevision } from './receipt-store.js';

const SIDES: readonly TwinSide[] = ['physical', 'twin'];
const utf8 = new TextDecoder();

/** KV keys allow A-Z a-z 0-9 - _ =, and dots between tokens: the device id goes base64url. */
const keyOf = (deviceId: string, side: TwinSide) => `${side}.${Buffer.from(deviceId, 'utf8').toString('base64url') || '='}`;

/**
 * Twin states deployment-wide (product.md §7), in a JetStream KV bucket (`capbus-twin` for the
 * default prefix): key = side and device, value = the latest reading; the newest timestamp wins,
 * by a compare-and-set on the key's revision. Every read asks the server, so a guard check sees
 * every state whose write finished, on whichever worker it ran.
 */
export class KvTwinStore implements TwinStore {
  private constructor(private readonly kv: KV) {}

  static async open(js: JetStreamClient, bucket: string): Promise<KvTwinStore> {
    return new KvTwinStore(await js.views.kv(bucket, { history: 1 }));
  }

  async read(deviceId: string): Promise<Sides> {
    const readings = await Promise.all(SIDES.map((side) => this.stored(deviceId, side)));
    const sides: Sides = {};
    SIDES.forEach((side, i) => {
      const reading = readings[i]!.reading;
      if (reading) sides[side] = reading;
    });
    return sides;
  }

  async write(deviceId: string, side: TwinSide, reading: Reading): Promise<void> {
    const key = keyOf(deviceId, side);
    const value = JSON.stringify(reading);
    for (;;) {
      const { revision, reading: stored } = await this.stored(deviceId, side);
      if (!supersedes(reading, stored)) return;
      try {
        await (revision === null ? this.kv.create(key, value) : this.kv.update(key, value, revision));
        return;
      } catch (error) {
        if (!isWrongRevision(error)) throw error;
        // another worker wrote this side meanwhile: compare with theirs
      }
    }
  }

  /** The stored reading (undefined when none, or when it does not parse: the guard then has no state to trust) and its revision. */
  private async stored(deviceId: string, side: TwinSide): Promise<{ revision: number | null; reading: Reading | undefined }> {
    const entry = await this.kv.get(keyOf(deviceId, side));
    if (entry === null) return { revision: null, reading: undefined };
    if (entry.operation !== 'PUT') return { revision: entry.revision, reading: undefined };
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(entry.value));
    } catch {
      value = null;
    }
    const parsed = ReadingSchema.safeParse(value);
    return { revision: entry.revision, reading: parsed.success ? parsed.data : undefined };
  }
}
