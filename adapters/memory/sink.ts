import type { ExecutionResult } from '../../src/records/result.js';
import type { Sink } from '../../src/pipeline/phases.js';

/** Keeps results in a list (the reference sink). */
export class MemorySink implements Sink {
  readonly results: ExecutionResult[] = [];
  store(result: ExecutionResult): void {
    this.results.push(result);
  }
}

/** Keeps nothing; for long-running buses whose results are consumed elsewhere. */
export class DiscardSink implements Sink {
  store(): void {}
}
