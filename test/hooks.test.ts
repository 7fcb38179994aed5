import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../adapters/memory/index.js';
import { makeCap } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import type { ExecuteHook } from '../src/pipeline/hooks.js';
import { T0 } from './helpers.js';

describe('execute hooks', () => {
  it('wrap the execute phase at composition, outermost first, and may answer without calling it', async () => {
    const calls: string[] = [];
    const named = (name: string): ExecuteHook => (next) => ({
      execute(distributed, seal) {
        calls.push(`${name}:${distributed.cap.intent}`);
        if (name === 'outer' && distributed.cap.intent === 'agent.skip') return { accepted: false, continuation_mode: 'resync-needed', reason: 'skipped by hook' };
        return next.execute(distributed, seal);
      },
    });
    const bus = createMemoryBus({ clock: manualClock(T0), ids: seededIds(3), hooks: { execute: [named('outer'), named('inner')] } });
    // the phase itself is untouched: the hooks live in the bus, not in bus.phases
    const phase = bus.phases.execute;
    const cap = (intent: string) => makeCap({ actor_id: 'a.aint', intent, authority_ref: 'sam:x', payload: {} }, bus.context);
    const [ran] = await bus.runChain(cap('agent.run'), 1);
    const [skipped] = await bus.runChain(cap('agent.skip'), 1);
    expect(calls).toEqual(['outer:agent.run', 'inner:agent.run', 'outer:agent.skip']);
    expect(ran!.receipt.outcome).toBe('executed');
    expect(skipped!.receipt).toMatchObject({ outcome: 'resync-needed', continuation_mode: 'resync-needed' });
    expect(bus.phases.execute).toBe(phase);
  });
});
