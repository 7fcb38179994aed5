import type { KV } from 'nats';
import { sleep } from './nats-server.js';

/** Helpers for partitioned deployments: who owns what, and how long a takeover took. */

/** partition → owner id, as the lease bucket says now (lapsed or released leases are absent). */
export async function owners(kv: KV, partitions: number): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      const entry = await kv.get(`partition.${p}`);
      if (entry?.operation === 'PUT') out.set(p, entry.json<{ owner: string }>().owner);
    }),
  );
  return out;
}

/** The worker ids carry the pid: `<host>:<pid>:<hex>`. */
export const pidOf = (workerId: string) => Number(workerId.split(':').at(-2));

/** Waits until none of `lost` is owned by `gone` and each has an owner; resolves with the ms it took from `since`. */
export async function takeover(kv: KV, lost: readonly number[], gone: string, since: number, timeoutMs = 30_000): Promise<number> {
  for (;;) {
    const now = await owners(kv, Math.max(...lost) + 1);
    if (lost.every((p) => now.has(p) && now.get(p) !== gone)) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`partitions ${lost.join(', ')} not taken over within ${timeoutMs} ms`);
    await sleep(20);
  }
}
