import type { ExecutionResult } from '../../src/records/result.js';
import type { RefusalCode } from './refusal.js';

/**
 * What a worker tells whoever watches it (service stats, metrics, the console): every settled
 * cap and every refused message. Calls are synchronous and must not throw; a watcher that needs
 * more time queues the work itself.
 */
export interface WorkerObserver {
  /** a cap's receipt went out (executed, rejected or resync-needed); `processingMs` from message to receipt */
  settled?(result: ExecutionResult, processingMs: number): void;
  /** the transport refused a message before the bus saw it */
  refused?(code: RefusalCode): void;
}

/** Several observers as one, each shielded from the others' faults. */
export function observers(list: readonly WorkerObserver[], onFault: (error: unknown) => void): WorkerObserver {
  const each = (call: (o: WorkerObserver) => void) => {
    for (const o of list) {
      try {
        call(o);
      } catch (error) {
        onFault(error);
      }
    }
  };
  return {
    settled: (result, ms) => each((o) => o.settled?.(result, ms)),
    refused: (code) => each((o) => o.refused?.(code)),
  };
}
