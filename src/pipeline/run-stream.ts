import type { CapBus, Root } from './pipeline.js';
import type { ExecutionResult } from '../records/result.js';

/** Roots whose chains may be running at once by default: enough to keep lanes busy, few enough to bound memory. */
export const DEFAULT_ROOT_WINDOW = 256;

export interface StreamRunOptions {
  /** chain depth per root, as for runRoots */
  maxHops: number;
  /** most roots in flight before the runner waits for the oldest (default DEFAULT_ROOT_WINDOW) */
  window?: number;
}

/**
 * Runs roots as they arrive and yields each root's chain (the root, then its follow-ups
 * breadth-first) in input order, as `runRoots` returns them, without holding the whole run:
 * once `window` roots are in flight it waits for the oldest one's chain before taking more
 * input (backpressure on the reader; the consumer's own awaits hold the runner back too).
 *
 * The roots of one batch are submitted together, as runRoots submits all of its roots, so a
 * run of at most `window` roots in one batch contends on its lanes exactly as runRoots would.
 */
export async function* streamChains(
  bus: CapBus,
  batches: AsyncIterable<readonly Root[]> | Iterable<readonly Root[]>,
  options: StreamRunOptions,
): AsyncGenerator<ExecutionResult[]> {
  const window = options.window ?? DEFAULT_ROOT_WINDOW;
  if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`window must be an integer >= 1, got ${window}`);
  const pending: Promise<ExecutionResult[]>[] = [];
  for await (const batch of batches) {
    for (const chain of bus.startChains(batch, options.maxHops)) {
      // awaited in turn below; until then a failure must not count as unhandled
      chain.catch(() => {});
      pending.push(chain);
    }
    while (pending.length >= window) yield await pending.shift()!;
  }
  while (pending.length > 0) yield await pending.shift()!;
}
