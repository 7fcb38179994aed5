import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus, EchoExecutor } from '../adapters/memory/index.js';
import { LaneMux, ScheduleTraceRecordSchema, type ScheduleTraceRecord } from '../adapters/mux/index.js';
import { connectCapBus, memoryBus, startWorker, type Worker, type WorkerParts } from '../adapters/nats/index.js';
import { guardExecutor, TwinGuard } from '../adapters/twin-guard/index.js';
import { makeCap } from '../src/records/cap.js';
import { isoTimestamp, randomIds, systemClock } from '../src/clock.js';
import { partitionOf } from '../src/partition.js';
import type { ExecuteHook } from '../src/pipeline/hooks.js';
import { contentionCaps, decisionsOf, GAP_MS, play, swapped, type Decision, type NamedCap } from './tools/contention.js';
import { BIN, skipNats, spawnWorker, startNatsServer, waitFor, type NatsServer, type SpawnedWorker } from './tools/nats-server.js';
import { owners } from './tools/partitions.js';

const ctx = { clock: systemClock, ids: randomIds() };
const quiet = () => {};

describe.skipIf(skipNats)('NATS scale-out: partitions of one deployment', () => {
  let server: NatsServer;
  let dir: string;
  const workers: Worker[] = [];
  const spawned: SpawnedWorker[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    dir = mkdtempSync(join(tmpdir(), 'capbus-partitions-'));
  }, 30_000);

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await Promise.all(spawned.splice(0).map((w) => w.kill()));
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

  it('b. a contention scenario (reject, assert_root, override_all, graceful_yield, polite_avoid, hard_avoid) decides on three partitioned serve workers as in one process', async () => {
    const steps = contentionCaps(ctx);
    // one process; and, to show the comparison sees arrival order, the same caps with two pairs swapped
    const [reference, reordered] = await Promise.all([inProcess(steps), inProcess(swapped(swapped(steps, 'A3', 'A4'), 'O5', 'O6'))]);
    expect(Object.fromEntries(reference.map((d) => [d.name, d.decision]))).toEqual({
      R1: 'ran', R2: 'rejected', H: 'avoided', R3: 'queued',
      A1: 'ran', A2: 'ran', A3: 'queued', A4: 'root-first',
      O1: 'ran', O2: 'ran', O3: 'ran', O4: 'ran', O5: 'queued', O6: 'overrode',
      P1: 'ran', P2: 'ran', P3: 'queued', P4: 'queued',
      G1: 'ran', G2: 'ran', G3: 'queued', G4: 'queued', G5: 'yielded-to',
    });
    expect(['R', 'A', 'O', 'P', 'G'].map((lane) => startOrder(reference, lane))).toEqual(['R1 R3', 'A1 A2 A4 A3', 'O1 O2 O3 O4 O6 O5', 'P1 P2 P4 P3', 'G1 G2 G3 G5 G4']);
    expect(reference.filter((d) => d.coffee_lane_policy !== 'sip_anyway').map((d) => `${d.name} ${d.coffee_lane_policy}`)).toEqual(['H hard_avoid', 'P3 polite_avoid']);
    expect(reference.find((d) => d.name === 'G5')!.lane_collision_policy).toBe('graceful_yield');
    expect(reference.find((d) => d.name === 'H')!.receipt).toMatchObject({ continuation_mode: 'hard_avoid', accepted: false });
    expect(reference.find((d) => d.name === 'R2')!.receipt).toMatchObject({ outcome: 'rejected', continuation_mode: 'reject' });
    expect(differing(reference, reordered)).toEqual(['A3', 'A4', 'O5', 'O6']);

    // three serve workers, 3 partitions: once balanced each owns one, and the scenario's lanes cover all three
    const traces = [0, 1, 2].map((i) => join(dir, `b-trace-${i}.jsonl`));
    spawned.push(...(await Promise.all(traces.map((file) => spawnWorker(['--nats', server.url, '--subject-prefix', 'pb', '--partitions', '3', '--lease-ms', '1000', '--schedule-trace', file])))));
    const ids = spawned.map((w) => String(w.logs.find((l) => l.msg === 'ready')!.worker));
    const nc = await connect({ servers: server.url });
    const client = await connectCapBus({ servers: server.url, prefix: 'pb', timeoutMs: 15_000 });
    try {
      const kv = await nc.jetstream().views.kv('pb-partitions', { bindOnly: true });
      await waitFor('3 partitions, one on each worker', async () => new Set((await owners(kv, 3)).values()).size === 3, 15_000);
      const before = await owners(kv, 3);
      const laneOwner = (laneId: string) => ids.indexOf(before.get(partitionOf(`align:${laneId}`, 3))!);
      const lanes = [...new Set(reference.map((d) => d.lane_id))];
      expect(new Set(lanes.map(laneOwner)).size).toBe(3);

      const { receipts, lateMs } = await play(steps, (cap) => client.emit(cap));
      expect(lateMs, 'a step was sent late: the host is too loaded for this timing').toBeLessThan(GAP_MS / 2);
      expect(await owners(kv, 3)).toEqual(before);
      await Promise.all(spawned.map((w) => w.stop())); // a worker writes its trace as it stops
      const perWorker = traces.map(readTrace);
      // each lane was scheduled by its partition's owner alone
      for (const [i, trace] of perWorker.entries()) expect(new Set(trace.map((t) => laneOwner(t.lane_id)))).toEqual(new Set([i]));
      expect(decisionsOf(steps, perWorker.flat(), receipts)).toEqual(reference);
    } finally {
      await client.close();
      await nc.close();
    }
  }, 30_000);

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


/** The scenario through one in-process bus with the lane mux, at the same times. */
async function inProcess(steps: NamedCap[][]): Promise<Decision[]> {
  const trace: ScheduleTraceRecord[] = [];
  const bus = createMemoryBus({ phases: { schedule: new LaneMux({ onTrace: (record) => trace.push(record) }) } });
  const { receipts, lateMs } = await play(steps, async (cap) => (await bus.submit({ cap })).receipt);
  expect(lateMs, 'a step was sent late: the host is too loaded for this timing').toBeLessThan(GAP_MS / 2);
  return decisionsOf(steps, trace, receipts);
}

/** The caps of one lane (by name prefix) in the order they started. */
const startOrder = (decisions: readonly Decision[], lane: string) =>
  decisions
    .filter((d) => d.name.startsWith(lane) && d.started !== null)
    .sort((a, b) => a.started! - b.started!)
    .map((d) => d.name)
    .join(' ');

/** The caps whose decisions differ between two runs. */
const differing = (a: readonly Decision[], b: readonly Decision[]) => a.filter((d, i) => !isDeepStrictEqual(d, b[i])).map((d) => d.name);

const readTrace = (file: string): ScheduleTraceRecord[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => ScheduleTraceRecordSchema.parse(JSON.parse(line)));

describe.skipIf(skipNats)('NATS scale-out on a server without JetStream', () => {
  it('serve with the default partitions exits 2, suggesting -js or --partitions 0 (--jetstream: -js or without it); with --partitions 0 it serves', async () => {
    const server = await startNatsServer([], { jetstream: false });
    try {
      const run = spawnSync(process.execPath, [BIN, 'serve', '--nats', server.url], { encoding: 'utf8', timeout: 20_000 });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^tibet-cap-bus: partitioned workers keep their leases and twin states in JetStream KV, and this NATS server has no JetStream \(.+\): start nats-server with -js, or serve with --partitions 0\n$/);
      // durable mode needs it too, and says so
      const durable = spawnSync(process.execPath, [BIN, 'serve', '--nats', server.url, '--partitions', '0', '--jetstream'], { encoding: 'utf8', timeout: 20_000 });
      expect(durable.status).toBe(2);
      expect(durable.stderr).toMatch(/^tibet-cap-bus: durable mode \(--jetstream\) keeps caps in a JetStream stream .*: start nats-server with -js, or serve without --jetstream\n$/);
      // the second suggestion works on the same server
      const worker = await spawnWorker(['--nats', server.url, '--partitions', '0']);
      await worker.stop();
    } finally {
      await server.dispose();
    }
  }, 30_000);
});
