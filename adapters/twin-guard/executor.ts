import type { ExecuteHook } from '../../src/pipeline/hooks.js';
import type { Executor, ExecutorVerdict } from '../../src/pipeline/phases.js';
import type { DistributedCap } from '../../src/records/result.js';
import type { CapSeal } from '../../src/records/seal-facts.js';
import type { TwinGuard } from './guard.js';
import { STATE_INTENT, type TwinSide } from './state.js';
import type { TwinStore } from './store.js';

/** Which side a state cap reports, by its intent. */
const SIDE_OF_INTENT: ReadonlyMap<string, TwinSide> = new Map(Object.entries(STATE_INTENT).map(([side, intent]) => [intent, side as TwinSide]));

export interface GuardExecutorOptions {
  /** intents starting with one of these move industrial equipment and must pass the guard */
  prefixes?: readonly string[];
  /** intents containing one of these are exempt: triage follow-ups hand a block to people, they move nothing */
  exempt?: readonly string[];
  /** where states are kept and read (default: the guard's own memory); a deployment-wide store makes every worker decide alike */
  store?: TwinStore;
}

/**
 * Wraps any executor with the twin guard. State caps update the guard (and run nothing else);
 * a guarded intent runs only when its device's physical and twin states are provably in sync,
 * and is otherwise answered `resync-needed` so the bus sends it to the triage.resync lane.
 */
export function guardExecutor(inner: Executor, guard: TwinGuard, options: GuardExecutorOptions = {}): Executor {
  const { prefixes = ['factory.'], exempt = ['.triage.'], store = guard.memory } = options;
  const guarded = (intent: string) => prefixes.some((p) => intent.startsWith(p)) && !exempt.some((e) => intent.includes(e));

  return {
    // the store is written and read before any await, so with the memory store caps submitted in
    // order update and check in order; a state's verdict (so its receipt) waits for the write
    async execute(distributed: DistributedCap, seal: CapSeal): Promise<ExecutorVerdict> {
      const { cap } = distributed;
      const side = SIDE_OF_INTENT.get(cap.intent);
      if (side) {
        const valid = guard.validate(side, cap.payload, { actor_id: cap.actor_id, verified: seal.verified });
        if (!valid.ok) return { accepted: false, continuation_mode: 'reject', reason: valid.error };
        await store.write(valid.reading.state.device_id, side, valid.reading);
        return { details: { twin_state_update: valid.update } };
      }
      if (!guarded(cap.intent)) return inner.execute(distributed, seal);

      const deviceId = cap.payload.device_id;
      if (typeof deviceId !== 'string' || deviceId === '') {
        return { accepted: false, continuation_mode: 'reject', reason: `twin guard: ${cap.intent} names no payload.device_id` };
      }
      const decision = guard.decide(deviceId, cap.intent, await store.read(deviceId));
      if (!decision.allowed) {
        return { accepted: false, continuation_mode: 'resync-needed', reason: `twin guard ${decision.reason}`, details: { twin_decision: decision } };
      }
      const verdict = await inner.execute(distributed, seal);
      return { ...verdict, details: { ...verdict.details, twin_decision: decision } };
    },
  };
}

/** The guard as a hook around whatever executor the bus was composed with. */
export const guardHook =
  (guard: TwinGuard, options: GuardExecutorOptions = {}): ExecuteHook =>
  (next) =>
    guardExecutor(next, guard, options);
