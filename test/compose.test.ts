import { describe, expect, it } from 'vitest';
import { DiscardSink } from '../adapters/memory/index.js';
import { composeBus } from '../adapters/node/compose.js';
import type { CliTools } from '../adapters/node/cli/extension.js';
import { makeCap } from '../src/records/cap.js';

describe('the bus the CLI composes', () => {
  it('keeps no results after a run (a serve worker runs for ever; its results leave over NATS)', async () => {
    const { bus } = composeBus({}, [], {} as CliTools);
    expect(bus.phases.sink).toBeInstanceOf(DiscardSink);
    // the run itself still returns its result, which is what every command reads
    const result = await bus.run(makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:test', payload: {} }, bus.context));
    expect(result.receipt.outcome).toBe('executed');
    expect(result.seal?.receipt?.cose).toBeTruthy();
  });
});
