import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type KV, type NatsConnection } from 'nats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECEIPT_BUCKET } from '../adapters/nats/index.js';
import { makeCap, type Cap } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { partitionOf } from '../src/partition.js';
import { allReceipts, publishAll, type Receipt } from './tools/durable.js';
import { skipNats, spawnWorker, startNatsServer, waitFor, type NatsServer, type SpawnedWorker } from './tools/nats-server.js';
import { owners, pidOf, takeover } from './tools/partitions.js';

const LEASE_MS = 2_000;
const LANES = 16;
const ctx = { clock: systemClock, ids: randomIds() };
/** caps over 16 lanes, so every worker owns busy partitions */
const capOf = (i: number): Cap =>
  makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', lane_hint: `lane:load:${i % LANES}`, authority_ref: 'sam:failover', payload: { i, duration_ms: 2 } }, ctx);

describe.skipIf(skipNats)('NATS scale-out: hand-overs in durable mode', () => {
  let server: NatsServer;
  let dir: string;
  let nc: NatsConnection;
  let workers: SpawnedWorker[] = [];

  beforeEach(async () => {
    server = await startNatsServer();
    dir = mkdtempSync(join(tmpdir(), 'capbus-failover-'));
    nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  }, 30_000);

  afterEach(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    workers = [];
    await nc?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const executedLog = () => join(dir, 'executed.log');
  const executedLines = () => (existsSync(executedLog()) ? readFileSync(executedLog(), 'utf8').split('\n').filter(Boolean) : []);
  const args = () => ['--nats', server.url, '--jetstream', '--ack-wait', '1500', '--lease-ms', String(LEASE_MS), '--executed-log', executedLog()];

  async function balancedDeployment(): Promise<KV> {
    for (let i = 0; i < 3; i++) workers.push(await spawnWorker(args()));
    const leases = await nc.jetstream().views.kv('capbus-partitions', { bindOnly: true });
    await waitFor('16 partitions spread over 3 workers', async () => {
      const now = await owners(leases, 16);
      return now.size === 16 && new Set(now.values()).size === 3;
    }, 20_000);
    return leases;
  }

  /** Every cap has its stored receipt; none ran twice; the in-doubt ones did not run after the kill. */
  async function checkOutcome(caps: readonly Cap[]): Promise<{ inDoubt: number }> {
    const kv = await nc.jetstream().views.kv(RECEIPT_BUCKET, { bindOnly: true });
    const stored = await allReceipts(kv, caps);
    const executed = executedLines();
    expect(new Set(executed).size).toBe(executed.length); // none ran twice
    let inDoubt = 0;
    for (const cap of caps) {
      const r = stored.get(cap.cap_id) as Receipt;
      expect(r, cap.cap_id).toBeTypeOf('object');
      if (r.continuation_mode === 'resync-needed') {
        expect(r.payload.reason).toMatch(/in doubt/);
        inDoubt++;
      } else {
        expect(r.outcome, cap.cap_id).toBe('executed');
        expect(executed).toContain(cap.cap_id);
      }
    }
    const jsm = await nc.jetstreamManager();
    await waitFor('every cap acknowledged', async () => {
      const info = await jsm.consumers.info('CAPBUS', 'capbus-worker');
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 30_000);
    return { inDoubt };
  }

  it('d. kill -9 the owner of a busy partition: a new owner within lease time + 1 s; every cap one receipt, none ran twice', async () => {
    const leases = await balancedDeployment();
    const busy = partitionOf('align:lane:load:0', 16);
    const victimId = (await owners(leases, 16)).get(busy)!;
    const victim = workers.find((w) => w.proc.pid === pidOf(victimId))!;
    expect(victim).toBeDefined();
    const lost = [...(await owners(leases, 16))].filter(([, owner]) => owner === victimId).map(([p]) => p);

    const caps = Array.from({ length: 1_500 }, (_, i) => capOf(i));
    const publishing = publishAll(nc, caps);
    await waitFor('300 caps to run', () => executedLines().length >= 300, 30_000, 5);
    const killedAt = performance.now();
    await victim.kill();
    const tookMs = await takeover(leases, lost, victimId, killedAt);
    expect(tookMs).toBeLessThanOrEqual(LEASE_MS + 1_000);
    await publishing;
    expect(executedLines().length).toBeLessThan(caps.length + 1); // sanity: the log is one line per run
    const { inDoubt } = await checkOutcome(caps);
    expect(inDoubt).toBeLessThanOrEqual(512);
  }, 120_000);

  it('e. rolling restart of every worker under load: nothing lost, nothing twice', async () => {
    await balancedDeployment();
    const caps = Array.from({ length: 1_500 }, (_, i) => capOf(i));
    const publishing = publishAll(nc, caps, 8);
    for (let i = 0; i < 3; i++) {
      await waitFor('caps running', () => executedLines().length >= 100 * (i + 1), 30_000, 5);
      const old = workers.shift()!;
      await old.stop();
      expect(old.proc.exitCode).toBe(0);
      workers.push(await spawnWorker(args()));
    }
    await publishing;
    const { inDoubt } = await checkOutcome(caps);
    expect(inDoubt).toBe(0); // graceful stops finish what they hold
  }, 180_000);
});
