import { createMemoryBus } from '../../adapters/memory/index.js';
import { manualClock, seededIds } from '../../src/clock.js';
import { makeCap } from '../../src/records/cap.js';
import type { CapBus } from '../../src/pipeline/pipeline.js';
import type { ExecutionResult } from '../../src/records/result.js';

/** The wall time every deterministic run starts at. */
export const FIXED_START_MS = Date.parse('2026-05-15T16:00:00Z');

/** A memory bus whose clock stands still (its monotonic timer ticks 0.5 ms per reading) and whose ids are seeded. */
export function deterministicBus(seed = 2026): CapBus {
  return createMemoryBus({ clock: manualClock(FIXED_START_MS, 0.5), ids: seededIds(seed) });
}

/**
 * One run mixing what the exports must tell apart: an LLM plan that forks (3 hops: root, alpha,
 * beta), an unattested service call the executor rejects (2 hops: it and its triage follow-up) and
 * a factory command that needs a resync (1 hop). Results come chain by chain.
 */
export async function mixedRun(bus = deterministicBus()): Promise<ExecutionResult[]> {
  const cap = (input: Parameters<typeof makeCap>[0]) => makeCap(input, bus.context);
  const fork = cap({
    actor_id: 'planner.aint',
    actor_jis_pubkey: 'ed25519:' + '5a'.repeat(32),
    intent: 'agent.plan',
    authority_ref: 'sam:plan',
    executor_class: 'agent-plan',
    payload: { model: 'planner-7b', continuation_mode: 'fork' },
  });
  const reject = cap({
    actor_id: 'edge-gateway',
    intent: 'service.rpc.billing',
    authority_ref: 'sam:rpc',
    executor_class: 'service',
    attestation_layer: 'none',
    payload: { service: 'billing', continuation_mode: 'reject' },
  });
  const resync = cap({
    actor_id: 'factory-press-7',
    intent: 'factory.motion.control',
    authority_ref: 'sam:motion',
    executor_class: 'motion',
    payload: { axis: 'z', continuation_mode: 'resync-needed' },
  });
  return [...(await bus.runChain(fork, 3)), ...(await bus.runChain(reject, 2)), ...(await bus.runChain(resync, 1))];
}
