import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { nodeBackend, nodeBackendOnThisThread } from '../adapters/node/ed25519.js';
import { createMemoryBus, LamportPlacer } from '../adapters/memory/index.js';
import type { CapBus, Root } from '../src/pipeline/pipeline.js';
import { manualClock, seededIds } from '../src/clock.js';
import { makeCap, type Cap } from '../src/records/cap.js';
import { signingKeyFromSeed } from '../src/seal/keys.js';
import { keyText, openSealed, sealRecord, type Ed25519Backend, type Ed25519Offload } from '../src/seal/seal.js';
import type { ExecutionResult } from '../src/records/result.js';
import { fromBase64 } from '../src/bytes.js';

/**
 * Issue 15: Ed25519 off the main thread (the Node backend's worker threads) while
 * other caps are in flight. The sequencer must keep every order and rank the synchronous path
 * gives, and a pool that fails must cost no cap its receipt.
 */

const actorKey = signingKeyFromSeed(new Uint8Array(32).fill(7), nodeBackend);
const strangerKey = signingKeyFromSeed(new Uint8Array(32).fill(8), nodeBackend);
const busKey = signingKeyFromSeed(new Uint8Array(32).fill(9), nodeBackend);
const keyring = { actors: { 'codex.aint': [keyText(actorKey.publicKey)] }, bus: keyText(busKey.publicKey) };
const START = Date.parse('2026-12-02T08:00:00.000Z');

/** Counts what went to the pool, so a test can tell the offloaded path was taken. */
function countingBackend(offload: Partial<Ed25519Offload> = {}): { backend: Ed25519Backend; calls: { sign: number; verify: number } } {
  const calls = { sign: 0, verify: 0 };
  const backend: Ed25519Backend = {
    ...nodeBackend,
    offload: {
      sign: (seed, message) => (calls.sign++, (offload.sign ?? nodeBackend.offload.sign)(seed, message)),
      verify: (signature, message, key) => (calls.verify++, (offload.verify ?? nodeBackend.offload.verify)(signature, message, key)),
    },
  };
  return { backend, calls };
}

const synchronous: Ed25519Backend = nodeBackendOnThisThread;

/** A bus on a seeded clock and id source, recording every placement in order. */
function seededBus(backend: Ed25519Backend) {
  const placements: string[] = [];
  const placer = new LamportPlacer();
  const bus = createMemoryBus({
    keyring,
    busKey,
    backend,
    // a still clock: latency is a measurement of the run, not an order the paths must share
    clock: manualClock(START),
    ids: seededIds(42),
    phases: {
      place: {
        place(cap, hint) {
          const placed = placer.place(cap, hint);
          placements.push(`${cap.intent}@${placed.causal_rank}`);
          return placed;
        },
      },
    },
  });
  return { bus, placements };
}

/** `impostor`: another actor's self-signed cap naming a key it was not sealed with (refused, as `forged` and `bad-bytes` are, so refused caps of two actors meet on the triage.reject lane) */
type Kind = 'jis' | 'self' | 'forged' | 'unsealed' | 'bad-bytes' | 'impostor';
const kinds: readonly Kind[] = ['jis', 'self', 'forged', 'unsealed', 'bad-bytes', 'impostor'];
const intents = ['agent.tool.high', 'service.rpc.call', 'agent.plan', 'misc.op', 'agent.tool.high.fork'] as const;
const modes = ['continue', 'fork', 'resume', 'triage'] as const;

interface RootSpec {
  kind: Kind;
  intent: (typeof intents)[number];
  mode: (typeof modes)[number];
  lamport: number;
}

/** The same roots for both buses: caps made on a seeded context, sealed (or broken) as the spec says. */
function rootsOf(specs: readonly RootSpec[]): Root[] {
  const ctx = { clock: manualClock(START), ids: seededIds(7) };
  return specs.map((spec, i) => {
    const self = spec.kind === 'self' || spec.kind === 'impostor';
    const cap: Cap = makeCap(
      {
        actor_id: self ? 'edge.device' : 'codex.aint',
        intent: spec.intent,
        authority_ref: 'sam:test',
        payload: { i, continuation_mode: spec.mode },
        attestation_layer: self ? 'self-signed' : 'jis',
        actor_jis_pubkey: self ? keyText(strangerKey.publicKey) : null,
      },
      ctx,
    );
    if (spec.kind === 'unsealed') return { cap };
    const key = spec.kind === 'jis' ? actorKey : spec.kind === 'impostor' ? busKey : strangerKey;
    const sealed = sealRecord(cap, key, nodeBackend).bytes.slice();
    if (spec.kind === 'bad-bytes') sealed[sealed.length - 1]! ^= 0xff;
    return { sealed };
  });
}

/** What the two paths must agree on, for each result in the order the bus gave them. */
function facts(results: readonly ExecutionResult[]) {
  return results.map((r) => ({
    cap_id: r.distributed.cap.cap_id,
    parent_id: r.distributed.cap.parent_id,
    rank: r.distributed.causal_rank,
    lane: r.distributed.lane_id,
    receipt: r.receipt,
    seal: r.seal,
    usage: r.usage_events,
  }));
}

const specArb = fc.record({
  kind: fc.constantFrom(...kinds),
  intent: fc.constantFrom(...intents),
  mode: fc.constantFrom(...modes),
  lamport: fc.nat({ max: 50 }),
});

describe('Ed25519 off the main thread', () => {
  test.prop([fc.array(specArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 3 })], { numRuns: 60 })(
    'runRoots gives the same ranks, orders, lane decisions, ids, receipts and seals as the synchronous path',
    async (specs, hops) => {
      const roots = rootsOf(specs);
      const plain = seededBus(synchronous);
      const pooled = seededBus(countingBackend().backend);
      const expected = await plain.bus.runRoots(roots, hops);
      const actual = await pooled.bus.runRoots(roots, hops);
      expect(facts(actual)).toEqual(facts(expected));
      expect(pooled.placements).toEqual(plain.placements);
      expect(sinkOrder(pooled.bus)).toEqual(sinkOrder(plain.bus));
    },
  );

  test.prop([fc.array(specArb, { minLength: 2, maxLength: 40 })], { numRuns: 25 })(
    'concurrent submits with sender clocks are placed in arrival order with the synchronous path\'s ranks',
    async (specs) => {
      const roots = rootsOf(specs);
      const run = async (bus: CapBus) => Promise.all(roots.map((root, i) => bus.submit(root as { sealed: Uint8Array }, { hint: { lamport: specs[i]!.lamport } })));
      const plain = seededBus(synchronous);
      const counted = countingBackend();
      const pooled = seededBus(counted.backend);
      // a live bus: the first cap finds it idle and runs at once while the others wait for the
      // pool, so a lane may already be free when the next one comes (as if it had come a moment
      // later); placement order and ranks stay those of the synchronous path
      const ranks = (results: ExecutionResult[]) => results.map((r) => [r.distributed.cap.cap_id, r.distributed.causal_rank, r.distributed.lane_id]);
      expect(ranks(await run(pooled.bus))).toEqual(ranks(await run(plain.bus)));
      expect(pooled.placements).toEqual(plain.placements);
      // only sealed caps that find others in flight go to the pool
      expect(counted.calls.verify).toBeLessThanOrEqual(specs.slice(1).filter((spec) => spec.kind !== 'unsealed').length);
    },
  );

  it('offloads while other caps are in flight, and not for a lone cap', async () => {
    const roots = rootsOf(Array.from({ length: 20 }, (_, i) => ({ kind: 'jis' as const, intent: 'agent.tool.high' as const, mode: 'continue' as const, lamport: i })));
    const burst = countingBackend();
    await seededBus(burst.backend).bus.runRoots(roots, 1);
    // roots that arrive together are all checked in the pool, and receipts are signed there
    // while other caps are still in flight (the last one or few may find the bus alone)
    expect(burst.calls.verify).toBe(20);
    expect(burst.calls.sign).toBeGreaterThanOrEqual(15);

    const lone = countingBackend();
    const { bus } = seededBus(lone.backend);
    for (const root of roots) await bus.submit(root as { sealed: Uint8Array });
    expect(lone.calls).toEqual({ sign: 0, verify: 0 });
  });

  it('a pool that throws while verifying gives that cap a rejected receipt; the caps beside it run', async () => {
    let n = 0;
    const failing = countingBackend({ verify: (signature, message, key) => (++n === 3 ? Promise.reject(new Error('pool thread died')) : nodeBackend.offload.verify(signature, message, key)) });
    const roots = rootsOf(Array.from({ length: 8 }, (_, i) => ({ kind: 'jis' as const, intent: 'agent.tool.high' as const, mode: 'continue' as const, lamport: i })));
    const results = await seededBus(failing.backend).bus.runRoots(roots, 1);
    expect(results).toHaveLength(8);
    const rejected = results.filter((r) => r.receipt.outcome === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.receipt.continuation_mode).toBe('reject');
    expect(rejected[0]!.receipt.payload.reason).toMatch(/^bad-signature: node:crypto could not check the signature: Error: pool thread died/);
    expect(results.filter((r) => r.receipt.outcome === 'executed')).toHaveLength(7);
  });

  it('a pool that throws while signing costs no receipt its seal: it is signed again on the main thread', async () => {
    const failing = countingBackend({ sign: () => Promise.reject(new Error('pool thread died')) });
    const roots = rootsOf(Array.from({ length: 8 }, (_, i) => ({ kind: 'jis' as const, intent: 'agent.tool.high' as const, mode: 'fork' as const, lamport: i })));
    const results = await seededBus(failing.backend).bus.runRoots(roots, 2);
    expect(failing.calls.sign).toBeGreaterThan(0);
    const sealedRecords = results.flatMap((r) => [r.seal!.receipt!.cose, ...r.seal!.spawned.map((s) => s.cose!)]);
    expect(sealedRecords.length).toBeGreaterThan(16);
    for (const cose of sealedRecords) {
      const opened = openSealed(fromBase64(cose), { backend: nodeBackend });
      expect(opened.ok && opened.kid_text).toBe(keyText(busKey.publicKey));
    }
  });

  it('a seal that fails on the pool and again on the main thread fails that cap alone, with no stray rejection', async () => {
    const broken: Ed25519Backend = {
      ...countingBackend({ sign: () => Promise.reject(new Error('pool thread died')) }).backend,
      sign: () => {
        throw new Error('signing is broken here too');
      },
    };
    const roots = rootsOf(Array.from({ length: 4 }, (_, i) => ({ kind: 'jis' as const, intent: 'agent.tool.high' as const, mode: 'continue' as const, lamport: i })));
    // vitest fails the run on an unhandled rejection, so this also checks nothing leaks
    await expect(seededBus(broken).bus.runRoots(roots, 1)).rejects.toThrow('signing is broken here too');
  });
});

function sinkOrder(bus: CapBus): string[] {
  return (bus.phases.sink as unknown as { results: ExecutionResult[] }).results.map((r) => r.receipt.receipt_id);
}

describe('Sequencer', () => {
  it('passes work in arrival order, a failure in its turn, and nothing waits behind a failure', async () => {
    const { Sequencer } = await import('../src/pipeline/sequencer.js');
    const order = new Sequencer();
    const passed: string[] = [];
    let release!: (v: string) => void;
    const slow = order.pass(new Promise<string>((resolve) => (release = resolve)), (v) => passed.push(v));
    const failing = order.pass(Promise.reject(new Error('pool thread died')), () => passed.push('never'));
    const ready = order.pass('ready', (v) => passed.push(v));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(passed).toEqual([]);
    expect(order.waiting).toBe(3);
    release('slow');
    await expect(failing).rejects.toThrow('pool thread died');
    await Promise.all([slow, ready]);
    expect(passed).toEqual(['slow', 'ready']);
    expect(order.waiting).toBe(0);
    // with nothing waiting, ready work passes in the caller's own call
    expect(order.pass(1, (v) => v + 1)).toBe(2);
  });
});

describe('Sequencer under steady load', () => {
  it('keeps arrival order while its queue never empties (the passed front is compacted away)', async () => {
    const { Sequencer } = await import('../src/pipeline/sequencer.js');
    const order = new Sequencer();
    const passed: number[] = [];
    const releases: (() => void)[] = [];
    const all: unknown[] = [];
    for (let i = 0; i < 5_000; i++) {
      all.push(order.pass(new Promise<number>((resolve) => releases.push(() => resolve(i))), (v) => passed.push(v)));
      // release the one before, so one entry always waits
      if (i > 0) releases[i - 1]!();
      if (i % 500 === 0) await Promise.resolve();
    }
    releases.at(-1)!();
    await Promise.all(all);
    expect(passed).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    expect(order.waiting).toBe(0);
  });
});
