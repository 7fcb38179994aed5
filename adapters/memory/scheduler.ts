import type { ExecutorVerdict, Scheduler } from '../../src/pipeline/phases.js';
import type { DistributedCap } from '../../src/records/result.js';

/** No lanes at all: every cap runs the moment it is admitted (the reference behaviour). */
export class ImmediateScheduler implements Scheduler {
  admit(_d: DistributedCap, run: () => Promise<ExecutorVerdict>): Promise<ExecutorVerdict> {
    return run();
  }
}
