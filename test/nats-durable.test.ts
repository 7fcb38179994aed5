import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createInbox, headers as natsHeaders, type KV, type NatsConnection } from 'nats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capHeaders, connectCapBus, RECEIPT_BUCKET, memoryBus, startWorker, type Worker } from '../adapters/nats/index.js';
import { makeCap, type Cap } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { allReceipts, publishAll, type Receipt } from './tools/durable.js';
import { skipNats, sleep, spawnWorker, startNatsServer, waitFor, type NatsServer } from './tools/nats-server.js';

const CAPS = 2_000;
const ctx = { clock: systemClock, ids: randomIds() };
const capOf = (i: number): Cap => makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:durable', payload: { i } }, ctx);

describe.skipIf(skipNats)('NATS transport: durable mode (JetStream)', () => {
  let server: NatsServer;
  let dir: string;
  let nc: NatsConnection;
  let kv: KV;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    server = await startNatsServer();
    dir = mkdtempSync(join(tmpdir(), 'capbus-durable-'));
    nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  }, 30_000);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    await nc?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openKv(): Promise<KV> {
    return nc.jetstream().views.kv(RECEIPT_BUCKET, { bindOnly: true });
  }

  it('stores the receipt by cap_id, answers a re-sent cap with it and never runs a cap twice', async () => {
    const executed: string[] = [];
    const worker: Worker = await startWorker({ servers: server.url, bus: memoryBus(), jetstream: { ackWaitMs: 2_000 }, log: () => {}, onExecute: (cap) => executed.push(cap.cap_id) });
    cleanups.push(() => worker.stop());
    const client = await connectCapBus({ servers: server.url, durable: true });
    cleanups.push(() => client.close());
    kv = await openKv();

    const cap = capOf(1);
    const receipt = await client.emit(cap);
    expect(receipt).toMatchObject({ cap_id: cap.cap_id, outcome: 'executed' });
    expect((await kv.get(cap.cap_id))?.json()).toEqual(receipt);

    // the same cap again under a new Nats-Msg-Id (past the de-duplication window): the stored receipt, no second run
    const inbox = createInbox();
    const answer = new Promise<Receipt>((resolve) => nc.subscribe(inbox, { max: 1, callback: (_e, m) => resolve(m.json()) }));
    const headers = capHeaders({ encoding: 'json', reply: inbox });
    await nc.jetstream().publish('capbus.cap.agent.tool.high', JSON.stringify(cap), { msgID: `${cap.cap_id}-again`, headers });
    expect(await answer).toEqual(receipt);
    // and with the same Nats-Msg-Id JetStream drops it outright
    const dup = await nc.jetstream().publish('capbus.cap.agent.tool.high', JSON.stringify(cap), { msgID: cap.cap_id, headers: capHeaders({ encoding: 'json' }) });
    expect(dup.duplicate).toBe(true);
    await sleep(200);
    expect(executed.filter((id) => id === cap.cap_id)).toHaveLength(1);

    // garbage is answered (on Tibet-Reply) and terminated, not redelivered
    const garbageInbox = createInbox();
    const refusal = new Promise<string | undefined>((resolve) => nc.subscribe(garbageInbox, { max: 1, callback: (_e, m) => resolve(m.headers?.get('Tibet-Error')) }));
    const bad = natsHeaders();
    bad.set('Content-Type', 'application/json');
    bad.set('Tibet-Reply', garbageInbox);
    await nc.jetstream().publish('capbus.cap.agent.tool.high', '{oops', { headers: bad });
    expect(await refusal).toBe('bad-json');
    const jsm = await nc.jetstreamManager();
    await waitFor('the consumer to have nothing pending', async () => {
      const info = await jsm.consumers.info('CAPBUS', 'capbus-worker');
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 10_000);
  });

  it('kill -9 of a worker in the middle of 2,000 caps: after a restart every cap has exactly one receipt and none ran twice', async () => {
    const executedLog = join(dir, 'executed.log');
    const args = ['--nats', server.url, '--jetstream', '--ack-wait', '1500', '--executed-log', executedLog];
    const first = await spawnWorker(args);
    cleanups.push(() => first.kill());
    kv = await openKv();
    const caps = Array.from({ length: CAPS }, (_, i) => capOf(i));
    const publishing = publishAll(nc, caps);

    const executedLines = () => (existsSync(executedLog) ? readFileSync(executedLog, 'utf8').split('\n').filter(Boolean) : []);
    await waitFor('the first worker to run 400 caps', () => executedLines().length >= 400, 30_000, 5);
    await first.kill();
    const atKill = executedLines().length;
    await publishing;
    expect(atKill).toBeLessThan(CAPS); // the kill really came mid-run

    const second = await spawnWorker(args);
    cleanups.push(() => second.stop());
    const stored = await allReceipts(kv, caps);

    const executed = executedLines();
    expect(new Set(executed).size).toBe(executed.length); // none ran twice
    expect(stored.size).toBe(CAPS);
    expect((await kv.status()).values).toBe(CAPS); // and no key besides the caps'
    let inDoubt = 0;
    for (const cap of caps) {
      const receipt = stored.get(cap.cap_id);
      expect(receipt, cap.cap_id).toBeTypeOf('object');
      const r = receipt as Receipt;
      expect(r.cap_id).toBe(cap.cap_id);
      if (r.continuation_mode === 'resync-needed') {
        // a cap the killed worker had claimed: whether it ran is unknown, so it is not run again
        expect(r.payload.reason).toMatch(/in doubt/);
        inDoubt++;
      } else {
        expect(r.outcome).toBe('executed');
        expect(executed).toContain(cap.cap_id);
      }
    }
    expect(executed.length + inDoubt).toBeGreaterThanOrEqual(CAPS);
    expect(inDoubt).toBeLessThanOrEqual(512); // at most what the consumer had handed out (max ack pending)
    const jsm = await nc.jetstreamManager();
    await waitFor('every cap acknowledged', async () => {
      const info = await jsm.consumers.info('CAPBUS', 'capbus-worker');
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 20_000);
  }, 120_000);

  it('nats-server restarted in the middle of a durable run: no cap is lost', async () => {
    const executed: string[] = [];
    const worker = await startWorker({ servers: server.url, bus: memoryBus(), jetstream: { ackWaitMs: 2_000 }, log: () => {}, onExecute: (cap) => executed.push(cap.cap_id) });
    cleanups.push(() => worker.stop());
    const caps = Array.from({ length: CAPS }, (_, i) => capOf(i));
    const publishing = publishAll(nc, caps, 16);
    await waitFor('500 caps to run', () => executed.length >= 500, 30_000, 5);
    await server.restart();
    await publishing;

    kv = await openKv();
    const stored = await allReceipts(kv, caps);
    expect(stored.size).toBe(CAPS);
    expect((await kv.status()).values).toBe(CAPS); // and no key besides the caps'
    expect(caps.every((cap) => typeof stored.get(cap.cap_id) === 'object')).toBe(true);
    expect(new Set(executed).size).toBe(executed.length);
  }, 120_000);
});
