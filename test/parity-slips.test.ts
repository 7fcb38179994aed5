import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../adapters/memory/index.js';
import { makeCap } from '../src/records/cap.js';
import { cbomDocument } from '../src/exports/cbom.js';
import { manualClock, seededIds } from '../src/clock.js';
import { deriveCoffee } from '../src/policy/coffee.js';
import { governanceDocument } from '../src/exports/governance.js';
import { deterministicBus, mixedRun } from './tools/runs.js';

/** Issue 13, items 7 and 8: two slips against behaviour.md §5 and §8. */
describe('the cap-dispatched event is written before execution (behaviour.md §8)', () => {
  it('carries no continuation mode; governance says observed / verify_valid true; the CBOM som_events[0] says null', async () => {
    const results = await mixedRun();
    for (const result of results) {
      const [dispatched, executed] = result.usage_events;
      expect(dispatched).toMatchObject({ event_type: 'cap-dispatched', continuation_mode: null });
      expect(executed).toMatchObject({ event_type: 'cap-executed', continuation_mode: result.receipt.continuation_mode });
    }
    const governance = governanceDocument(results).governance.usage_events;
    const dispatchedViews = governance.filter((e) => e.continuity.disposition === 'cap-dispatched');
    expect(dispatchedViews.length).toBe(results.length);
    for (const view of dispatchedViews) expect(view.continuity).toMatchObject({ causal_status: 'observed', verify_valid: true });
    // a rejected cap's executed view still says what its receipt says
    expect(governance.some((e) => e.continuity.disposition === 'cap-executed' && e.continuity.verify_valid === false)).toBe(true);
    for (const doc of cbomDocument(results).cbom.documents) {
      expect(doc.som_events[0]!.continuation_mode).toBeNull();
      expect(doc.som_events[1]!.continuation_mode).toBe(doc.continuity.continuation_mode);
    }
  });

  it('a cap whose seal was refused on entry is known before dispatch: verify_valid false, on any bus', async () => {
    const bus = createMemoryBus({ clock: manualClock(0), ids: seededIds(1), allowUnsealed: false });
    const results = await bus.runRoots([{ cap: makeCap({ actor_id: 'a', intent: 'agent.x', authority_ref: 'sam:x', payload: {} }, bus.context) }], 1);
    const [dispatched] = governanceDocument(results).governance.usage_events;
    expect(dispatched!.continuity).toMatchObject({ disposition: 'cap-dispatched', verify_valid: false, causal_status: 'observed' });
  });

  it('the deterministic bus still projects both events', async () => {
    const bus = deterministicBus();
    const [result] = await bus.runRoots([makeCap({ actor_id: 'a', intent: 'agent.x', authority_ref: 'sam:x', payload: {} }, bus.context)], 1);
    expect(result!.usage_events.map((e) => e.continuation_mode)).toEqual([null, 'receipt']);
  });
});

describe('coffee_reason for endpoint_status (behaviour.md §5 row 8)', () => {
  it.each(['DOWN', 'Offline', 'down'])('%s is reported lowercased', (status) => {
    const derived = deriveCoffee({ actor_id: 'gateway.svc', actor_aint: null, payload: { endpoint_status: status } } as never, 0);
    expect(derived).toMatchObject({ coffee_lane_policy: 'offline_fallback', coffee_reason: status.toLowerCase() });
  });
});
