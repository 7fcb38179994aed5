import { describe, expect, it } from 'vitest';
import { toBase64 } from '../src/bytes.js';
import { makeCap, type CapContext } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import { parseCapLines } from '../src/input.js';
import { signingKeyFromSeed } from '../src/seal/keys.js';
import { sealCap } from '../src/seal/trust.js';

/** Issue 13, item 3: a cap_id seen twice in one input is bad input naming both lines. */
const ctx: CapContext = { clock: manualClock(Date.UTC(2026, 0, 15)), ids: seededIds(31) };
const line = (cap_id: string) => JSON.stringify({ cap_id, actor_id: 'a.aint', intent: 'agent.x', authority_ref: 'sam:x', payload: {} });

describe('duplicate cap_id in one input', () => {
  it('two cap lines with the same cap_id', () => {
    const { entries, problems } = parseCapLines([line('cap_one'), line('cap_two'), '', line('cap_one')].join('\n'), ctx);
    expect(problems).toEqual([{ line: 4, message: 'duplicate cap_id cap_one: line 1 has the same cap_id (a cap runs once)' }]);
    expect(entries.map((e) => e.line)).toEqual([1, 2]);
  });

  it('the same sealed line twice, and a sealed line repeating a cap line', () => {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(4));
    const sealed = JSON.stringify({ sealed: toBase64(sealCap(makeCap({ cap_id: 'cap_sealed', actor_id: 'a.aint', intent: 'agent.x', authority_ref: 'sam:x', payload: {} }, ctx), key).bytes) });
    const { problems } = parseCapLines([sealed, line('cap_x'), sealed, line('cap_sealed')].join('\n'), ctx);
    expect(problems).toEqual([
      { line: 3, message: 'duplicate cap_id cap_sealed: line 1 has the same cap_id (a cap runs once)' },
      { line: 4, message: 'duplicate cap_id cap_sealed: line 1 has the same cap_id (a cap runs once)' },
    ]);
  });

  it('caps without a cap_id get fresh ones and never collide', () => {
    const bare = JSON.stringify({ actor_id: 'a.aint', intent: 'agent.x', authority_ref: 'sam:x', payload: {} });
    expect(parseCapLines([bare, bare].join('\n'), ctx).problems).toEqual([]);
  });
});

describe('the CLI', () => {
  it('refuses an input with a duplicate cap_id (exit 2, both lines named) and runs nothing', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const path = join(mkdtempSync(join(tmpdir(), 'capbus-dup-')), 'dup.jsonl');
    writeFileSync(path, [line('cap_a'), line('cap_b'), line('cap_a')].join('\n') + '\n');
    const r = spawnSync('node', [new URL('../dist/adapters/node/bin.js', import.meta.url).pathname, 'gateway-export', '--input', path], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`tibet-cap-bus: ${path}:3: duplicate cap_id cap_a: line 1 has the same cap_id (a cap runs once)\n`);
  });
});
