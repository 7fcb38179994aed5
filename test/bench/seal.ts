import { availableParallelism } from 'node:os';
import { libuvOffload, nodeBackend, nodeBackendOnThisThread } from '../../adapters/node/ed25519.js';
import { createMemoryBus, DiscardSink } from '../../adapters/memory/index.js';
import { makeCap } from '../../src/records/cap.js';
import { encodeCbor } from '../../src/seal/cbor-encode.js';
import { signingKeyFromSeed } from '../../src/seal/keys.js';
import { keyText, openSealed, sealRecord, type Ed25519Backend } from '../../src/seal/seal.js';
import { interleaved, medianRatio, type BenchRow } from './table.js';

const CAPS = 2_000;
const ROUNDS = 11;
/** caps in flight for the many-senders row, as the NATS rows offer */
const IN_FLIGHT = 256;

/**
 * The sealed pipeline (open + verify the cap, run it, seal the receipt) against the bound the
 * crypto alone sets in the same run (one Ed25519 verify + one sign per cap, same backend).
 */
export async function benchSeal(): Promise<BenchRow[]> {
  const actorKey = signingKeyFromSeed(new Uint8Array(32).fill(7), nodeBackend);
  const busKey = signingKeyFromSeed(new Uint8Array(32).fill(9), nodeBackend);
  const keyring = { actors: { 'codex.aint': [keyText(actorKey.publicKey)] }, bus: keyText(busKey.publicKey) };
  // every round submits the same sealed caps: without this the replay window would answer rounds
  // after the first from memory, and the row would measure the window, not the pipeline
  const busWith = (backend: Ed25519Backend) =>
    createMemoryBus({ keyring, busKey, backend, config: { replayWindowSize: 0 }, phases: { sink: new DiscardSink() } });
  const bus = busWith(nodeBackend);
  // the synchronous path alone (no thread pool), as before issue 15: the lone-cap baseline
  const syncBus = busWith(nodeBackendOnThisThread);
  // the same pipeline with node:crypto's callback forms on libuv's pool, the other way issue 15 names
  const libuvBus = busWith({ ...nodeBackend, offload: libuvOffload });
  const sealed = Array.from({ length: CAPS }, (_, i) =>
    sealRecord(makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:bench', payload: { tool: 'search', i } }, bus.context), actorKey, nodeBackend),
  );

  const checked = (result: Awaited<ReturnType<typeof bus.submit>>) => {
    if (!result.seal?.cap.verified || !result.seal.receipt) throw new Error('bench caps must verify and get sealed receipts');
  };
  const oneAtATime = (on: typeof bus) => async () => {
    for (const { bytes } of sealed) checked(await on.submit({ sealed: bytes }));
  };
  const runPipeline = oneAtATime(bus);
  // many senders: IN_FLIGHT caps in flight at any time, each sender submitting its next when answered
  const inFlightOn = (on: typeof bus) => async () => {
    let next = 0;
    const sender = async () => {
      while (next < CAPS) checked(await on.submit({ sealed: sealed[next++]!.bytes }));
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
  };

  // what the crypto costs alone: verify each cap's signature and sign each receipt's, over the
  // very Sig_structures the pipeline verifies and signs
  const toBeSigned = (payload: Uint8Array) => encodeCbor(['Signature1', encodeCbor(new Map([[1, -8]])), new Uint8Array(0), payload]);
  const signatures = sealed.map(({ bytes }) => bytes.subarray(bytes.length - 64));
  const capMessages = sealed.map(({ payload }) => toBeSigned(payload));
  const receiptMessages: Uint8Array[] = [];
  for (const { bytes } of sealed) {
    const receipt = (await bus.submit({ sealed: bytes })).seal!.receipt!;
    const opened = openSealed(new Uint8Array(Buffer.from(receipt.cose, 'base64')), { backend: nodeBackend });
    if (!opened.ok) throw new Error('bench receipts must open');
    receiptMessages.push(toBeSigned(opened.payload));
  }
  const runBound = () => {
    for (let i = 0; i < CAPS; i++) {
      if (!nodeBackend.verify(signatures[i]!, capMessages[i]!, actorKey.publicKey)) throw new Error('bench signature must verify');
      nodeBackend.sign(busKey.seed, receiptMessages[i]!);
    }
  };
  const measured = await interleaved(CAPS, [runPipeline, runBound, inFlightOn(bus), oneAtATime(syncBus), inFlightOn(libuvBus)], ROUNDS);
  // each rate is its best round, as every rate in the bench; the share is of the two rates shown
  const [pipeline, bound, inFlight, syncLone, inFlightLibuv] = measured.best as [number, number, number, number, number];
  const lone = 1e6 / pipeline;
  const today = 1e6 / syncLone;
  const cores = availableParallelism();
  const share = pipeline / bound;
  // a typical round instead: host load in a round slows the JavaScript more than the crypto
  const typical = medianRatio(measured, 0, 1);
  return [
    { name: 'crypto bound (Ed25519 verify + sign, node:crypto)', value: bound, unit: 'caps/s' },
    { name: 'sealed pipeline (verify cap, run, seal receipt)', value: pipeline, unit: 'caps/s' },
    { name: 'sealed pipeline / crypto bound (the two rates above)', value: share * 100, unit: '%', target: '>= 85%', met: share >= 0.85 },
    { name: 'same, median of the paired rounds (host load included)', value: typical * 100, unit: '%', target: 'for comparison' },
    {
      name: `sealed pipeline, ${IN_FLIGHT} in flight (Ed25519 in batches on ${cores} worker threads, ${cores} cores seen)`,
      value: inFlight,
      unit: 'caps/s',
      target: `>= 1.4x the one-core crypto bound: x${(inFlight / bound).toFixed(2)}`,
      met: inFlight >= 1.4 * bound,
    },
    {
      name: `same, Ed25519 through node:crypto callbacks on libuv's pool instead`,
      value: inFlightLibuv,
      unit: 'caps/s',
      target: `for comparison: worker threads x${(inFlight / inFlightLibuv).toFixed(2)} of this`,
    },
    {
      name: 'lone sealed cap, one at a time: time per cap',
      value: lone,
      unit: 'µs',
      target: `within 10% of the synchronous path's ${today.toFixed(0)} µs: ${(((lone - today) / today) * 100).toFixed(1)}%`,
      met: lone <= 1.1 * today,
    },
  ];
}
