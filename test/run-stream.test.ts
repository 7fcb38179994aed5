import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../adapters/memory/index.js';
import { makeCap, type Cap } from '../src/records/cap.js';
import { manualClock, seededIds } from '../src/clock.js';
import type { ExecutionResult } from '../src/records/result.js';
import { streamChains } from '../src/pipeline/run-stream.js';
import { FIXED_START_MS } from './tools/runs.js';

const bus = (seed = 1) => createMemoryBus({ clock: manualClock(FIXED_START_MS, 0.5), ids: seededIds(seed) });
const MODES = ['fork', 'continue', 'reject', 'receipt', 'resync-needed'];

/** Roots that contend: few lanes, and simulated work of differing length, so later roots often finish first. */
function roots(n: number, b = bus(), work = true): Cap[] {
  return Array.from({ length: n }, (_, i) =>
    makeCap(
      {
        actor_id: i % 2 ? 'codex.aint' : 'line-controller',
        intent: i % 3 ? 'agent.tool.high' : 'factory.motion.control',
        authority_ref: 'sam:test',
        payload: { continuation_mode: MODES[i % MODES.length], duration_ms: work ? (i * 7) % 4 : 0, i },
      },
      b.context,
    ),
  );
}

async function collect(chains: AsyncIterable<ExecutionResult[]>): Promise<ExecutionResult[][]> {
  const out: ExecutionResult[][] = [];
  for await (const chain of chains) out.push(chain);
  return out;
}

/** The cap ids of a chain in breadth-first order, as its results' spawned caps link them. */
function breadthFirstIds(chain: readonly ExecutionResult[]): string[] {
  const byId = new Map(chain.map((r) => [r.distributed.cap.cap_id, r]));
  const ids: string[] = [];
  for (let level = [chain[0]!]; level.length > 0; level = level.flatMap((r) => r.spawned_caps.map((c) => byId.get(c.cap_id)!))) {
    for (const r of level) ids.push(r.distributed.cap.cap_id);
  }
  return ids;
}

describe('streamChains', () => {
  it('one batch within the window: the same results as runRoots, byte for byte', async () => {
    // no simulated work: real timers would make any two runs differ
    const a = bus(5);
    const whole = await a.runRoots(roots(40, a, false), 3);
    const b = bus(5);
    const chains = await collect(streamChains(b, [roots(40, b, false)], { maxHops: 3, window: 64 }));
    expect(chains.flat().length).toBe(whole.length);
    expect(JSON.stringify(chains.flat()) === JSON.stringify(whole)).toBe(true);
  });

  it('under contention, with a small window and ragged batches: input order, each chain breadth-first', async () => {
    const b = bus(9);
    const input = roots(120, b);
    const batches = async function* () {
      for (let i = 0; i < input.length; ) {
        const size = 1 + (i % 7);
        yield input.slice(i, i + size);
        i += size;
        await new Promise((resolve) => setTimeout(resolve, i % 3));
      }
    };
    const chains = await collect(streamChains(b, batches(), { maxHops: 3, window: 5 }));
    expect(chains.map((chain) => chain[0]!.distributed.cap.cap_id)).toEqual(input.map((cap) => cap.cap_id));
    for (const chain of chains) {
      expect(chain.map((r) => r.distributed.cap.cap_id)).toEqual(breadthFirstIds(chain));
      expect(chain.length).toBeGreaterThanOrEqual(1);
    }
    // a fork root spawns two branches
    expect(chains[0]!.length).toBe(3);
  });

  it('reads no further ahead than the window', async () => {
    const b = bus();
    const input = roots(50, b);
    let pulled = 0;
    let yielded = 0;
    let most = 0;
    const batches = function* () {
      for (const cap of input) {
        pulled++;
        most = Math.max(most, pulled - yielded);
        yield [cap];
      }
    };
    for await (const _ of streamChains(b, batches(), { maxHops: 2, window: 4 })) yielded++;
    expect(yielded).toBe(50);
    expect(most).toBeLessThanOrEqual(4);
  });

  it('refuses a window that is not a positive integer', async () => {
    await expect(collect(streamChains(bus(), [], { maxHops: 1, window: 0 }))).rejects.toThrow(/window must be an integer/);
  });
});
