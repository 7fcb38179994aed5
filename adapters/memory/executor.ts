import { setTimeout as delay } from 'node:timers/promises';
import type { Executor, ExecutorVerdict } from '../../src/pipeline/phases.js';
import type { DistributedCap } from '../../src/records/result.js';

/** Where simulated work spends its time; tests pass a virtual timer so durations cost nothing. */
export interface Timer {
  sleep(ms: number): Promise<void>;
}

export const realTimer: Timer = { sleep: (ms) => delay(ms) };

/** The longest simulated work a cap may ask for. */
export const MAX_DURATION_MS = 10_000;

/**
 * Runs nothing: the receipt echoes the cap's own continuation request. A cap may ask for
 * `payload.duration_ms` (0–10000) of simulated work, so lanes have something to contend over.
 */
export class EchoExecutor implements Executor {
  constructor(private readonly timer: Timer = realTimer) {}

  execute(distributed: DistributedCap): ExecutorVerdict | Promise<ExecutorVerdict> {
    const ms = distributed.cap.payload.duration_ms;
    // no work asked: answer synchronously, the pipeline's hot path
    if (ms === undefined || ms === 0) return {};
    if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_DURATION_MS)) {
      return { accepted: false, continuation_mode: 'reject', reason: `payload.duration_ms must be a number from 0 to ${MAX_DURATION_MS}, got ${typeof ms === 'string' ? JSON.stringify(ms) : String(ms)}` };
    }
    return this.timer.sleep(ms).then(() => ({}));
  }
}
