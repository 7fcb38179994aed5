import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus, EchoExecutor } from '../adapters/memory/index.js';
import { connectCapBus, memoryBus, startWorker, type Worker, type WorkerParts } from '../adapters/nats/index.js';
import { guardExecutor, TwinGuard } from '../adapters/twin-guard/index.js';
import { makeCap } from '../src/records/cap.js';
import { isoTimestamp, randomIds, systemClock } from '../src/clock.js';
import { partitionOf } from '../src/partition.js';
import type { ExecuteHook } from '../src/pipeline/hooks.js';
import { BIN, skipNats, startNatsServer, waitFor, type NatsServer } from './tools/nats-server.js';

const ctx = { clock: systemClock, ids: randomIds() };
const quiet = () => {};

describe.skipIf(skipNats)('NATS scale-out: partitions of one deployment', () => {
  let server: NatsServer;
  let dir: string;
  const workers: Worker[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    dir = mkdtempSync(join(tmpdir(), 'capbus-partitions-'));
  }, 30_000);

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });

  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('f. a worker started with another --partitions refuses to start: exit 2, saying why', async () => {
    workers.push(await startWorker({ servers: server.url, prefix: 'pf', bus: memoryBus(), partitions: 16, log: quiet }));
    const run = spawnSync(process.execPath, [BIN, 'serve', '--nats', server.url, '--subject-prefix', 'pf', '--partitions', '8'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/this deployment has 16 partitions \(recorded in KV bucket pf-partitions, key config\) and this worker was started with --partitions 8/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    // the same count joins
    workers.push(await startWorker({ servers: server.url, prefix: 'pf', bus: memoryBus(), partitions: 16, log: quiet }));
  }, 30_000);

  it('one owner per partition: three workers split 16 partitions, each exactly once', async () => {
    for (let i = 0; i < 3; i++) workers.push(await startWorker({ servers: server.url, prefix: 'pown', bus: memoryBus(), leaseMs: 1_000, log: quiet }));
    await waitFor('every partition owned once, fairly', () => {
      const owned = workers.map((w) => w.owned());
      const all = owned.flat().sort((a, b) => a - b);
      // fair share: ceil(16 / 3) = 6 at most each
      return all.length === 16 && new Set(all).size === 16 && owned.every((o) => o.length >= 1 && o.length <= 6);
    }, 15_000);
  }, 30_000);

  it('a. three workers, one burst-2 lane, 12 caps of 250 ms: never more than 2 running at once, makespan ≥ 1.5 s', async () => {
    const spans: { capId: string; start: number; end: number }[] = [];
    const timing: ExecuteHook = (next) => ({
      async execute(distributed, seal) {
        const start = performance.now();
        try {
          return await next.execute(distributed, seal);
        } finally {
          spans.push({ capId: distributed.cap.cap_id, start, end: performance.now() });
        }
      },
    });
    for (let i = 0; i < 3; i++) workers.push(await startWorker({ servers: server.url, prefix: 'pa', bus: memoryBus({ hooks: { execute: [timing] } }), log: quiet }));
    const client = await connectCapBus({ servers: server.url, prefix: 'pa', timeoutMs: 30_000 });
    try {
      const caps = Array.from({ length: 12 }, (_, i) =>
        makeCap({ actor_id: 'probe.aint', intent: 'triage.resync.probe', lane_hint: 'lane:triage.resync:probe', authority_ref: 'sam:probe', payload: { duration_ms: 250, i } }, ctx),
      );
      const started = performance.now();
      const receipts = await Promise.all(caps.map((cap) => client.emit(cap)));
      const makespan = performance.now() - started;
      expect(receipts.every((r) => r.outcome === 'executed')).toBe(true);
      expect(new Set(spans.map((s) => s.capId)).size).toBe(12);
      expect(spans).toHaveLength(12);
      expect(maxOverlap(spans)).toBeLessThanOrEqual(2);
      expect(makespan).toBeGreaterThanOrEqual(1_500);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('c. twin guard on three workers, 200 trials: every motion blocked for the fault, none executed, no partial picture', async () => {
    const devices = [{ device_id: 'crane-01', profile: 'port' as const, physical_actor: 'crane-01.plc.aint', twin_actor: 'crane-twin.aint' }];
    const guardedBus = (parts: WorkerParts) => {
      const guard = new TwinGuard();
      for (const device of devices) guard.register(device);
      return createMemoryBus({ hooks: parts.hooks, phases: { align: parts.align, execute: guardExecutor(new EchoExecutor(), guard, { store: parts.twinStore! }) } });
    };
    for (let i = 0; i < 3; i++) workers.push(await startWorker({ servers: server.url, prefix: 'pc', bus: guardedBus, log: quiet }));
    const client = await connectCapBus({ servers: server.url, prefix: 'pc', timeoutMs: 20_000 });
    const state = (side: 'physical' | 'virtual', status: string) =>
      makeCap(
        {
          actor_id: side === 'physical' ? 'crane-01.plc.aint' : 'crane-twin.aint',
          intent: `twin.state.${side}`,
          authority_ref: 'sam:twin',
          payload: { device_id: 'crane-01', timestamp: isoTimestamp(Date.now()), values: { position_x: 1 }, status },
        },
        ctx,
      );
    let executed = 0;
    let partial = 0;
    let blockedForFault = 0;
    try {
      for (let trial = 0; trial < 200; trial++) {
        for (const cap of [state('physical', 'operational'), state('virtual', 'operational'), state('physical', 'fault'), state('virtual', 'fault')]) {
          expect((await client.emit(cap)).outcome).toBe('executed');
        }
        const motion = makeCap({ actor_id: 'crane-01.ops.aint', intent: 'factory.crane.motion.move_left', authority_ref: 'sam:ops', payload: { device_id: 'crane-01', trial } }, ctx);
        const receipt = await client.emit(motion);
        const reason = String((receipt.payload as { reason?: string }).reason ?? '');
        if (receipt.outcome === 'executed') executed++;
        if (/no (physical|twin|physical or twin) state reported/.test(reason)) partial++;
        if (receipt.outcome === 'resync-needed' && /fault/.test(reason)) blockedForFault++;
      }
    } finally {
      await client.close();
    }
    expect({ executed, partial, blockedForFault }).toEqual({ executed: 0, partial: 0, blockedForFault: 200 });
    // the caps really went to different owners: the state lanes and the motion lane are on different partitions
    expect(new Set(['align:lane:twin.state.physical:default', 'align:lane:factory.crane.motion.move_left:default'].map((g) => partitionOf(g, 16))).size).toBe(2);
  }, 180_000);
});

/** The most spans that run at one instant. */
function maxOverlap(spans: readonly { start: number; end: number }[]): number {
  const events = spans.flatMap((s) => [[s.start, 1] as const, [s.end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of events) most = Math.max(most, (now += step));
  return most;
}

