import type { KV, NatsConnection } from 'nats';
import { capHeaders } from '../../adapters/nats/index.js';
import type { Cap } from '../../src/records/cap.js';
import { sleep, waitFor } from './nats-server.js';

/** Helpers of the durable-mode tests: publishing caps into the stream and reading the receipts KV holds. */

export type Receipt = { cap_id: string; receipt_id: string; outcome: string; continuation_mode: string; payload: { reason?: string } };

/**
 * What the KV bucket holds for each cap: a receipt, a claim, or nothing (no entry). Each key is
 * read directly: kv.keys() ends only on a message the server marks as the last one pending, and
 * nats-server 2.9 sometimes miscounts that when keys are replaced as the lister starts (a worker
 * settling its last caps), so the lister then waits for ever and the poll never returns.
 */
export async function storedReceipts(kv: KV, caps: readonly Cap[]): Promise<Map<string, Receipt | 'claim'>> {
  const out = new Map<string, Receipt | 'claim'>();
  let next = 0;
  const lane = async () => {
    while (next < caps.length) {
      const capId = caps[next++]!.cap_id;
      const entry = await kv.get(capId);
      if (!entry || entry.operation !== 'PUT') continue;
      const record = entry.json<Receipt & { claimed_by?: string }>();
      out.set(capId, record.claimed_by ? 'claim' : record);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  return out;
}

/** Waits until every cap has a stored receipt (no claim left, nothing missing) and returns them. */
export async function allReceipts(kv: KV, caps: readonly Cap[]): Promise<Map<string, Receipt | 'claim'>> {
  let stored = new Map<string, Receipt | 'claim'>();
  await waitFor(
    'a stored receipt for every cap',
    async () => {
      stored = await storedReceipts(kv, caps);
      return stored.size === caps.length && [...stored.values()].every((v) => v !== 'claim');
    },
    60_000,
    250,
  );
  return stored;
}

/** Publishes caps into the stream (Nats-Msg-Id = cap_id), retrying each until JetStream has it. */
export async function publishAll(nc: NatsConnection, caps: readonly Cap[], concurrency = 64): Promise<void> {
  const js = nc.jetstream();
  let next = 0;
  const lane = async () => {
    while (next < caps.length) {
      const cap = caps[next++]!;
      for (let attempt = 0; ; attempt++) {
        try {
          await js.publish(`capbus.cap.${cap.intent}`, JSON.stringify(cap), { msgID: cap.cap_id, headers: capHeaders({ encoding: 'json' }), timeout: 2_000 });
          break;
        } catch (error) {
          if (attempt > 100) throw error;
          await sleep(100); // the server is restarting: the same Nats-Msg-Id keeps a retry from storing it twice
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

