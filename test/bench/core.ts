import { createMemoryBus, DiscardSink, ImmediateScheduler } from '../../adapters/memory/index.js';
import { makeCap, type Cap } from '../../src/records/cap.js';
import { gatewayEvents, toJsonl } from '../../src/exports/gateway-event.js';
import { validateGatewayEvents } from '../../src/exports/validator.js';
import type { ExecutionResult } from '../../src/records/result.js';
import { throughput, type BenchRow } from './table.js';

/** The Python original's pipeline throughput on this machine class, as stated in the foundation issue. */
export const PYTHON_REFERENCE_CAPS_PER_S = 11_500;
const TARGET_CAPS_PER_S = 20 * PYTHON_REFERENCE_CAPS_PER_S;

const CAPS = 100_000;

export async function benchCore(): Promise<BenchRow[]> {
  // the pipeline itself (every cap runs when admitted), then the default bus with its lane mux
  // rounds run the same caps again: the replay window would answer repeats of submitted roots from
  // memory (bus.run skips the window; runRoots and runChain do not)
  const bus = createMemoryBus({ config: { replayWindowSize: 0 }, phases: { sink: new DiscardSink(), schedule: new ImmediateScheduler() } });
  const muxBus = createMemoryBus({ phases: { sink: new DiscardSink() } });
  const intents = ['agent.tool.high', 'service.rpc.standard', 'factory.motion.control', 'agent.plan'];
  const build = (n: number, payload: (i: number) => Record<string, unknown>): Cap[] =>
    Array.from({ length: n }, (_, i) =>
      makeCap({ actor_id: i % 2 ? 'codex.aint' : 'api-gateway', intent: intents[i % intents.length]!, authority_ref: 'sam:bench', payload: payload(i) }, bus.context),
    );

  const singles = build(CAPS, (i) => ({ tool: 'search', i }));
  const single = await throughput(CAPS, async () => {
    for (const cap of singles) await bus.run(cap);
  });

  // an --input file or a burst from many senders: roots submitted together, 1,000 at a time
  const withMux = await throughput(CAPS, async () => {
    for (const cap of singles) await muxBus.run(cap);
  });

  const batch = await throughput(CAPS, async () => {
    for (let i = 0; i < CAPS; i += 1000) await bus.runRoots(singles.slice(i, i + 1000), 1);
  });

  const buildAndRun = await throughput(CAPS, async () => {
    for (let i = 0; i < CAPS; i++) {
      await bus.run(makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:bench', payload: { i } }, bus.context));
    }
  });

  // fork roots with 3 hops: each root yields three results (root, alpha, beta)
  const forkRoots = build(CAPS / 3, () => ({ continuation_mode: 'fork' }));
  const chains = await throughput((CAPS / 3) * 3, async () => {
    for (const root of forkRoots) await bus.runChain(root, 3);
  });

  const results: ExecutionResult[] = [];
  for (const cap of singles.slice(0, 20_000)) results.push(await bus.run(cap));
  const exportRate = await throughput(results.length, () => {
    toJsonl(gatewayEvents(results));
  });
  const events = gatewayEvents(results);
  const validateRate = await throughput(events.length, () => {
    if (validateGatewayEvents(events).length) throw new Error('bench events must validate');
  });

  const target = `>= ${TARGET_CAPS_PER_S.toLocaleString('en-US')} (20x Python ${PYTHON_REFERENCE_CAPS_PER_S.toLocaleString('en-US')}, not measured here)`;
  return [
    { name: 'pipeline, single caps (await each)', value: single, unit: 'caps/s', target, met: single >= TARGET_CAPS_PER_S },
    { name: 'pipeline + lane mux (the default bus)', value: withMux, unit: 'caps/s', target, met: withMux >= TARGET_CAPS_PER_S },
    // 1,000 results alive at once outgrow V8's default young generation: this row measures the GC as much as the bus
    { name: 'pipeline, concurrent batches of 1,000', value: batch, unit: 'caps/s', target: 'no target: GC-bound (see README)' },
    { name: 'pipeline, build cap + run', value: buildAndRun, unit: 'caps/s' },
    { name: 'pipeline, fork chains (3 hops)', value: chains, unit: 'results/s' },
    { name: 'gateway-export (project + JSONL)', value: exportRate, unit: 'records/s' },
    { name: 'validate-gateway-event', value: validateRate, unit: 'records/s' },
  ];
}
