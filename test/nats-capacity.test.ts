import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { ScheduleTraceRecordSchema } from '../adapters/mux/index.js';
import { connectCapBus } from '../adapters/nats/index.js';
import { checkBurstLimits, checkMaxRunning } from '../adapters/testing/index.js';
import { makeCap } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { partitionOf } from '../src/partition.js';
import { skipNats, spawnWorker, startNatsServer, waitFor } from './tools/nats-server.js';
import { owners } from './tools/partitions.js';

/** `serve --max-running N`: each worker's executor capacity bounds the caps of the partitions it owns. */

const ctx = { clock: systemClock, ids: randomIds() };
const PARTITIONS = 16;
const PER_PARTITION = 2;

/** Lanes that put exactly PER_PARTITION caps in every partition, so each owner gets work whatever it owns. */
function lanesOverEveryPartition(): string[] {
  const count = new Array<number>(PARTITIONS).fill(0);
  const lanes: string[] = [];
  for (let i = 0; lanes.length < PARTITIONS * PER_PARTITION; i++) {
    const lane = `lane:capacity:${i}`;
    const p = partitionOf(`align:${lane}`, PARTITIONS);
    if (count[p]! < PER_PARTITION) {
      count[p]!++;
      lanes.push(lane);
    }
  }
  return lanes;
}

describe.skipIf(skipNats)('serve --max-running on NATS', () => {
  it('two workers with --max-running 2: each runs at most 2 caps at once (and does run 2), every cap executed once', async () => {
    const server = await startNatsServer();
    const dir = mkdtempSync(join(tmpdir(), 'capbus-capacity-'));
    const traces = [join(dir, 'a.jsonl'), join(dir, 'b.jsonl')];
    const workers = [];
    const nc = await connect({ servers: server.url });
    const client = await connectCapBus({ servers: server.url, prefix: 'cap', timeoutMs: 30_000 });
    try {
      for (const trace of traces) workers.push(await spawnWorker(['--nats', server.url, '--subject-prefix', 'cap', '--max-running', '2', '--schedule-trace', trace]));
      const leases = await nc.jetstream().views.kv('cap-partitions', { history: 1 });
      await waitFor('8 partitions each', async () => {
        const held = [...(await owners(leases, PARTITIONS)).values()];
        return held.length === PARTITIONS && new Set(held).size === 2 && held.filter((owner) => owner === held[0]).length === PARTITIONS / 2;
      }, 20_000);
      // 32 caps of 200 ms, one per lane (burst limit 8 each): only the workers' capacity holds them back
      const caps = lanesOverEveryPartition().map((lane, i) =>
        makeCap({ actor_id: 'capacity.aint', intent: 'misc.op', lane_hint: lane, authority_ref: 'sam:t', payload: { duration_ms: 200, i } }, ctx),
      );
      const receipts = await Promise.all(caps.map((cap) => client.emit(cap)));
      expect(receipts.every((r) => r.outcome === 'executed')).toBe(true);
      // a graceful stop writes the rest of each trace
      for (const worker of workers.splice(0)) await worker.stop();
      const ran = traces.map((path) => readFileSync(path, 'utf8').trim().split('\n').map((line) => ScheduleTraceRecordSchema.parse(JSON.parse(line))));
      expect(ran.flat().map((t) => t.cap_id).sort()).toEqual(caps.map((c) => c.cap_id).sort());
      for (const trace of ran) {
        // each owner ran its share (8 partitions, 16 caps), never more than 2 at once, and 2 at once at some point
        expect(trace).toHaveLength(16);
        expect(checkMaxRunning(trace, 2)).toEqual([]);
        expect(checkMaxRunning(trace, 1)).not.toEqual([]);
        expect(checkBurstLimits(trace)).toEqual([]);
      }
    } finally {
      await client.close();
      await nc.close();
      for (const worker of workers) await worker.kill();
      await server.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
