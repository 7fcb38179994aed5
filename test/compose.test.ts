import { describe, expect, it } from 'vitest';
import { DiscardSink } from '../adapters/memory/index.js';
import { composeBus } from '../adapters/node/compose.js';
import type { CliTools } from '../adapters/node/cli/extension.js';
import { makeCap } from '../src/records/cap.js';

describe('the bus the CLI composes', () => {
  it('keeps no results after a run (a serve worker runs for ever; its results leave over NATS)', async () => {
    const { bus } = composeBus({ signs: true }, [], {} as CliTools);
    expect(bus.phases.sink).toBeInstanceOf(DiscardSink);
    // the run itself still returns its result, which is what every command reads
    const result = await bus.run(makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:test', payload: {} }, bus.context));
    expect(result.receipt.outcome).toBe('executed');
    expect(result.seal?.receipt?.cose).toBeTruthy();
  });

  it('signs only when the output carries seals or a key is given; content hashes are real either way', async () => {
    const cap = { actor_id: 'codex.aint', intent: 'agent.plan', authority_ref: 'sam:test', payload: { continuation_mode: 'fork' } };
    const hashed = composeBus({}, [], {} as CliTools).bus;
    const plain = await hashed.run(makeCap(cap, hashed.context), { spawn: true });
    expect(plain.seal?.receipt).toBeNull();
    expect(plain.seal?.spawned.map((s) => s.cose)).toEqual([null, null]);
    expect(plain.seal?.spawned.every((s) => /^sha256:[0-9a-f]{64}$/.test(s.content_hash!))).toBe(true);
    expect(plain.seal?.cap.content_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    // the follow-ups still name their receipt's real content hash
    expect(plain.spawned_caps[0]!.payload.source_receipt_hash).toMatch(/^sha256:[0-9a-f]{64}$/);

    const signing = composeBus({ signs: true }, [], {} as CliTools).bus;
    const sealed = await signing.run(makeCap(cap, signing.context), { spawn: true });
    expect(sealed.seal?.receipt?.cose).toBeTruthy();
    expect(sealed.seal?.spawned.every((s) => s.cose !== null)).toBe(true);
  });
});
