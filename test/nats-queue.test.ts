import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Msg } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCapBus, memoryBus, startWorker } from '../adapters/nats/index.js';
import { makeCap } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { generateKeyFile, signingKeyFromFile } from '../src/seal/keys.js';
import { writeKeyFile } from '../adapters/node/key-files.js';
import { openSealed } from '../src/seal/seal.js';
import { skipNats, spawnWorker, startNatsServer, waitFor, type NatsServer } from './tools/nats-server.js';

const ROOTS = 150;

/** A receipt as published: JSON for a JSON cap, bus-sealed COSE for a sealed follow-up. */
function receiptOf(msg: Msg): { cap_id: string; outcome: string } {
  if (msg.headers?.get('Content-Type') === 'application/cose') {
    const opened = openSealed(msg.data);
    if (!opened.ok) throw new Error(opened.reason);
    return opened.record as { cap_id: string; outcome: string };
  }
  return msg.json();
}

describe.skipIf(skipNats)('NATS transport: one queue group, two worker processes', () => {
  let server: NatsServer;
  let dir: string;

  beforeAll(async () => {
    server = await startNatsServer();
    dir = mkdtempSync(join(tmpdir(), 'capbus-queue-'));
  }, 30_000);

  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('spreads fork chains over both workers; every cap gets exactly one receipt', async () => {
    // one bus deployment, one bus key: each worker verifies the follow-ups the other sealed
    const keyFile = join(dir, 'bus.key');
    const keyData = generateKeyFile('bus');
    writeKeyFile(keyFile, keyData);
    const executedHere: string[] = [];
    const local = await startWorker({
      servers: server.url,
      bus: memoryBus({ busKey: signingKeyFromFile(keyData) }),
      // unpartitioned: the worker that takes a cap runs it, which is what spreads here (nats-partitions tests the partitioned deployment)
      partitions: 0,
      log: () => {},
      onExecute: (cap) => executedHere.push(cap.cap_id),
    });
    const executedLog = join(dir, 'executed.log');
    const gatewayLog = join(dir, 'gateway.jsonl');
    const remote = await spawnWorker(['--nats', server.url, '--bus-key', keyFile, '--executed-log', executedLog, '--gateway-log', gatewayLog, '--partitions', '0']);

    const watcher = await connect({ servers: server.url });
    const receipts = new Map<string, { outcome: string }[]>();
    watcher.subscribe('capbus.receipt.>', {
      callback: (_e, msg) => {
        const receipt = receiptOf(msg);
        receipts.set(receipt.cap_id, [...(receipts.get(receipt.cap_id) ?? []), receipt]);
      },
    });
    await watcher.flush();

    const client = await connectCapBus({ servers: server.url, maxHops: 3, timeoutMs: 20_000 });
    const ctx = { clock: systemClock, ids: randomIds() };
    try {
      const roots = Array.from({ length: ROOTS }, (_, i) =>
        makeCap({ actor_id: 'planner.aint', intent: 'agent.plan', authority_ref: 'sam:plan', payload: { continuation_mode: 'fork', i } }, ctx),
      );
      const rootReceipts = await Promise.all(roots.map((root) => client.emit(root)));
      expect(rootReceipts.every((r) => r.continuation_mode === 'fork')).toBe(true);
      await waitFor('root, alpha and beta receipts of every chain', () => receipts.size >= ROOTS * 3, 20_000);
      await new Promise((r) => setTimeout(r, 300)); // anything extra would show up now

      expect(receipts.size).toBe(ROOTS * 3);
      for (const [capId, list] of receipts) {
        expect(list, capId).toHaveLength(1);
        expect(list[0]!.outcome, capId).toBe('executed');
      }
      const executedThere = readFileSync(executedLog, 'utf8').trim().split('\n');
      expect(executedHere.length).toBeGreaterThan(0);
      expect(executedThere.length).toBeGreaterThan(0);
      expect(new Set([...executedHere, ...executedThere]).size).toBe(ROOTS * 3);
      expect(executedHere.length + executedThere.length).toBe(ROOTS * 3);
      // the spawned worker's --gateway-log holds one event per cap it ran
      const logged = readFileSync(gatewayLog, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { operation_id: string }).operation_id);
      expect(logged.sort()).toEqual([...executedThere].sort());
    } finally {
      await client.close();
      await watcher.close();
      await local.stop();
      await remote.stop();
    }
    expect(remote.proc.exitCode).toBe(0);
    expect(remote.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['ready', 'draining', 'stopped']));
  }, 60_000);
});
