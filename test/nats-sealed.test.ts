import { connect, headers as natsHeaders, type Msg, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCapBus, memoryBus, startWorker, type CapBusClient, type Worker } from '../adapters/nats/index.js';
import { makeCap, type Cap, type CapInput } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { signingKeyFromSeed } from '../src/seal/keys.js';
import { keyText, openSealed } from '../src/seal/seal.js';
import { sealCap } from '../src/seal/trust.js';
import { skipNats, startNatsServer, type NatsServer } from './tools/nats-server.js';

const ctx = { clock: systemClock, ids: randomIds() };
const sender = signingKeyFromSeed(new Uint8Array(32).fill(3));
const busKey = signingKeyFromSeed(new Uint8Array(32).fill(9));
const selfSigned = (fields: Partial<CapInput> = {}): Cap =>
  makeCap(
    {
      actor_id: 'edge-sensor',
      intent: 'service.rpc.billing',
      authority_ref: 'sam:rpc',
      payload: { service: 'billing' },
      attestation_layer: 'self-signed',
      actor_jis_pubkey: keyText(sender.publicKey),
      ...fields,
    },
    ctx,
  );

describe.skipIf(skipNats)('NATS transport: sealed caps', () => {
  let server: NatsServer;
  let worker: Worker;
  let strictWorker: Worker;
  let client: CapBusClient;
  let raw: NatsConnection;
  const executed: string[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    const keyring = { actors: { 'codex.aint': [keyText(sender.publicKey)] } };
    worker = await startWorker({ servers: server.url, bus: memoryBus({ busKey, keyring }), log: () => {}, onExecute: (cap) => executed.push(cap.cap_id) });
    strictWorker = await startWorker({ servers: server.url, prefix: 'strict', bus: memoryBus({ busKey, allowUnsealed: false }), log: () => {} });
    client = await connectCapBus({ servers: server.url, busKey: keyText(busKey.publicKey) });
    raw = await connect({ servers: server.url });
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    await raw?.close();
    await worker?.stop();
    await strictWorker?.stop();
    await server?.dispose();
  });

  it('verifies a self-signed sealed cap and answers with a receipt sealed by the bus key', async () => {
    const cap = selfSigned();
    const events: { content_hash: string | null; verified: boolean; operation_id: string }[] = [];
    const stopTail = await client.tail((event) => events.push(event));
    const receipt = await client.emit(cap, { key: sender });
    stopTail();
    expect(receipt).toMatchObject({ cap_id: cap.cap_id, outcome: 'executed', cap_hash: sealCap(cap, sender).content_hash });
    expect(executed).toContain(cap.cap_id);
    expect(events.find((e) => e.operation_id === cap.cap_id)).toMatchObject({ verified: true, content_hash: sealCap(cap, sender).content_hash });
  });

  it('names the sealing key in a self-signed cap that names none', async () => {
    await expect(client.emit(selfSigned({ actor_jis_pubkey: null }), { key: sender })).resolves.toMatchObject({ outcome: 'executed' });
  });

  it('verifies a jis cap whose key the keyring binds to its actor', async () => {
    const cap = selfSigned({ actor_id: 'codex.aint', attestation_layer: 'jis', actor_jis_pubkey: null });
    await expect(client.emit(cap, { key: sender })).resolves.toMatchObject({ outcome: 'executed' });
  });

  it('gives a cap with a broken seal a rejected receipt, and does not run it', async () => {
    const cap = selfSigned();
    const bytes = sealCap(cap, sender).bytes.slice();
    bytes[bytes.length - 1]! ^= 0xff; // last signature byte
    const headers = natsHeaders();
    headers.set('Content-Type', 'application/cose');
    const reply: Msg = await raw.request('capbus.cap.service.rpc.billing', bytes, { headers, timeout: 5000 });
    expect(reply.headers?.get('Content-Type')).toBe('application/cose');
    const opened = openSealed(reply.data);
    expect(opened.ok && opened.kid_text).toBe(keyText(busKey.publicKey));
    expect(opened.ok && opened.record).toMatchObject({ cap_id: cap.cap_id, outcome: 'rejected', continuation_mode: 'reject' });
    expect(opened.ok && JSON.stringify(opened.record)).toMatch(/bad-signature/);
    expect(executed).not.toContain(cap.cap_id);
  });

  it('rejects unsealed caps on a bus that requires seals', async () => {
    const strict = await connectCapBus({ servers: server.url, prefix: 'strict' });
    const receipt = await strict.emit(selfSigned({ attestation_layer: 'none', actor_jis_pubkey: null }));
    expect(receipt).toMatchObject({ outcome: 'rejected', continuation_mode: 'reject' });
    expect(receipt.payload.reason).toMatch(/unsealed/);
    await expect(strict.emit(selfSigned(), { key: sender })).resolves.toMatchObject({ outcome: 'executed' });
    await strict.close();
  });

  it('publishes follow-ups sealed by the bus, which the bus then verifies and runs', async () => {
    const root = selfSigned({ payload: { continuation_mode: 'fork' } });
    const forwarded: Msg[] = [];
    const receipts: Msg[] = [];
    const subs = [
      raw.subscribe('capbus.cap.service.rpc.billing.fork.>', { callback: (_e, m) => forwarded.push(m) }),
      raw.subscribe('capbus.receipt.>', { callback: (_e, m) => receipts.push(m) }),
    ];
    await raw.flush();
    await client.emit(root, { key: sender, maxHops: 2 });
    const deadline = Date.now() + 5000;
    while (receipts.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const sub of subs) sub.unsubscribe();

    expect(forwarded).toHaveLength(2);
    for (const m of forwarded) {
      expect(m.headers?.get('Content-Type')).toBe('application/cose');
      const opened = openSealed(m.data);
      expect(opened.ok && opened.kid_text).toBe(keyText(busKey.publicKey));
      expect(opened.ok && (opened.record as Cap).parent_id).toBe(root.cap_id);
    }
    // a sealed cap's receipt is published sealed
    const records = receipts.map((m) => {
      expect(m.headers?.get('Content-Type')).toBe('application/cose');
      const opened = openSealed(m.data);
      return (opened.ok ? opened.record : null) as { cap_id: string; outcome: string };
    });
    const followUpReceipts = records.filter((r) => r.cap_id !== root.cap_id);
    expect(followUpReceipts).toHaveLength(2);
    expect(followUpReceipts.every((r) => r.outcome === 'executed')).toBe(true);
  });

  it('a client expecting another bus key refuses the sealed receipt', async () => {
    const wary = await connectCapBus({ servers: server.url, busKey: keyText(sender.publicKey) });
    await expect(wary.emit(selfSigned(), { key: sender })).rejects.toMatchObject({ code: 'bad-receipt' });
    await wary.close();
  });
});
