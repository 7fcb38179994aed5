import { LaneMux } from '../../adapters/mux/index.js';
import { makeCap } from '../../src/records/cap.js';
import { manualClock, seededIds } from '../../src/clock.js';
import { deriveLanePolicy, type LanePolicy } from '../../src/policy/lane.js';
import type { ExecutorVerdict } from '../../src/pipeline/phases.js';
import type { DistributedCap } from '../../src/records/result.js';
import { collect, throughput, type BenchRow } from './table.js';

const LANES = 1000;
const ACTORS = 100;
const CAPS = LANES * ACTORS;
const DECISION_P99_TARGET_US = 10;
const THROUGHPUT_TARGET = 100_000;
const GLOBAL_LIMIT = 64;

/** Lanes of each collision flavour the default tables give (queue, graceful_yield, assert_root). */
const LANE_INTENTS = ['bench.op', 'agent.tool.high', 'service.rpc.call', 'factory.motion.control'];

/**
 * 1,000 lanes × 100 actors, ordered actor-major so every lane sees each actor in turn and
 * actors meet on every lane. Each lane's policy is derived once and shared, as a distributor would.
 */
function benchCaps(burstLimit?: number): DistributedCap[] {
  const ctx = { clock: manualClock(Date.UTC(2026, 0, 1)), ids: seededIds(1) };
  const capFor = (actor: number, lane: number) =>
    makeCap({ actor_id: `actor-${actor}.aint`, intent: LANE_INTENTS[lane % LANE_INTENTS.length]!, authority_ref: 'sam:bench', payload: {}, lane_hint: `lane:bench:${lane}` }, ctx);
  const policies: LanePolicy[] = Array.from({ length: LANES }, (_, lane) => {
    const derived = deriveLanePolicy(capFor(0, lane), `lane:bench:${lane}`, ctx.clock.now());
    return burstLimit === undefined ? derived : { ...derived, burst_limit: burstLimit };
  });
  const out: DistributedCap[] = [];
  for (let actor = 0; actor < ACTORS; actor++) {
    for (let lane = 0; lane < LANES; lane++) {
      const lane_id = `lane:bench:${lane}`;
      out.push({ cap: capFor(actor, lane), causal_rank: out.length + 1, lane_id, lane_policy: policies[lane]!, memory_slot: `slot:${lane_id}`, alignment_group: `align:${lane_id}`, evidence: [] });
    }
  }
  return out;
}

const VERDICT: ExecutorVerdict = {};
/** zero-duration work, shaped like the pipeline's `run` (an async function) */
const work = async () => VERDICT;

const percentile = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export async function benchMux(): Promise<BenchRow[]> {
  const caps = benchCaps();

  // decision latency: the synchronous admit call alone (queueing or starting), per cap
  const samples = new Float64Array(CAPS);
  const timedRound = async () => {
    const mux = new LaneMux();
    const settled: Promise<ExecutorVerdict>[] = new Array(CAPS);
    for (let i = 0; i < CAPS; i++) {
      const t0 = process.hrtime.bigint();
      settled[i] = mux.admit(caps[i]!, work);
      samples[i] = Number(process.hrtime.bigint() - t0);
    }
    await Promise.all(settled);
  };
  await timedRound();
  await timedRound();
  const sorted = samples.slice().sort();
  const p50 = percentile(sorted, 0.5) / 1000;
  const p99 = percentile(sorted, 0.99) / 1000;

  const rateWith = (options: ConstructorParameters<typeof LaneMux>[0]) =>
    throughput(CAPS, async () => {
      const mux = new LaneMux(options);
      const settled: Promise<ExecutorVerdict>[] = new Array(CAPS);
      for (let i = 0; i < CAPS; i++) settled[i] = mux.admit(caps[i]!, work);
      await Promise.all(settled);
    });
  const rate = await rateWith({});
  // a global limit sends every start through the ready-lane heap
  const limitedRate = await rateWith({ maxRunning: GLOBAL_LIMIT });

  // memory: burst 1 and work that never ends, so all but one cap per lane stay queued
  const blocked = benchCaps(1);
  const never = () => new Promise<ExecutorVerdict>(() => {});
  collect();
  const before = process.memoryUsage().heapUsed;
  const mux = new LaneMux();
  const held: Promise<ExecutorVerdict>[] = blocked.map((d) => mux.admit(d, never));
  collect();
  const perCap = (process.memoryUsage().heapUsed - before) / held.length;
  const gcNote = (globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: rough)';

  return [
    { name: 'lane decision (admit), p50', value: p50, unit: 'µs' },
    { name: 'lane decision (admit), p99', value: p99, unit: 'µs', target: `< ${DECISION_P99_TARGET_US} µs`, met: p99 < DECISION_P99_TARGET_US },
    { name: `mux throughput, ${LANES.toLocaleString('en-US')} lanes × ${ACTORS} actors, zero-duration`, value: rate, unit: 'caps/s', target: `>= ${THROUGHPUT_TARGET.toLocaleString('en-US')}`, met: rate >= THROUGHPUT_TARGET },
    { name: `mux throughput, same, global limit ${GLOBAL_LIMIT} running`, value: limitedRate, unit: 'caps/s' },
    { name: `memory per queued cap${gcNote}`, value: perCap, unit: 'bytes' },
  ];
}
