import { CapBus, busContext, type BusOptions } from '../../src/pipeline.js';
import type { Phases } from '../../src/phases.js';
import type { LanePolicyDerivation } from '../../src/lane.js';
import { LocalAligner } from './aligner.js';
import { IntentDistributor } from './distributor.js';
import { EchoExecutor } from './executor.js';
import { MemorySlotInjector } from './injector.js';
import { LamportPlacer } from './placer.js';
import { usageProjector } from './projector.js';
import { MemorySink } from './sink.js';
import { ImmediateScheduler } from './scheduler.js';

export { ImmediateScheduler, LocalAligner, IntentDistributor, EchoExecutor, MemorySlotInjector, LamportPlacer, MemorySink, usageProjector };
export { DiscardSink } from './sink.js';

export interface MemoryBusOptions extends BusOptions {
  /** replace any phase; the rest are the in-memory defaults */
  phases?: Partial<Phases>;
  /** a custom lane-policy derivation for the default distributor */
  derive?: LanePolicyDerivation;
}

/** A bus whose phases all run in this process: the embedded default. */
export function createMemoryBus(options: MemoryBusOptions = {}): CapBus {
  const context = busContext(options);
  const { clock, ids, config } = context;
  const phases: Phases = {
    place: new LamportPlacer(),
    distribute: new IntentDistributor(clock, options.derive),
    schedule: new ImmediateScheduler(),
    inject: new MemorySlotInjector(),
    align: new LocalAligner(),
    execute: new EchoExecutor(),
    project: usageProjector(ids, config),
    sink: new MemorySink(),
    ...options.phases,
  };
  return new CapBus(phases, context);
}
