import type { Executor } from './phases.js';

/**
 * Wraps the execute phase: gets the executor it encloses and returns one that may act before,
 * after or instead of it (the NATS worker's in-doubt guard, the twin sync guard).
 */
export type ExecuteHook = (next: Executor) => Executor;

/** Named places where cross-cutting behaviour plugs into a bus when it is composed. */
export interface BusHooks {
  /** wrappers of the execute phase, outermost first */
  readonly execute?: readonly ExecuteHook[];
}

/** The execute phase with every hook applied, the first hook outermost. */
export function hookedExecutor(inner: Executor, hooks: BusHooks): Executor {
  return (hooks.execute ?? []).reduceRight((next, hook) => hook(next), inner);
}
