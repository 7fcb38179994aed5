import type { Executor, ExecutorVerdict } from '../../src/phases.js';

/** Runs nothing: the receipt echoes the cap's own continuation request. */
export class EchoExecutor implements Executor {
  execute(): ExecutorVerdict {
    return {};
  }
}
