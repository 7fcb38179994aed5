import { nodeBackend } from '../../adapters/node/ed25519.js';
import { createMemoryBus, DiscardSink } from '../../adapters/memory/index.js';
import { makeCap } from '../../src/cap.js';
import { encodeCbor } from '../../src/cbor.js';
import { signingKeyFromSeed } from '../../src/keys.js';
import { keyText, sealRecord } from '../../src/seal.js';
import { interleaved, type BenchRow } from './table.js';

const CAPS = 4_000;

/**
 * The sealed pipeline (open + verify the cap, run it, seal the receipt) against the bound the
 * crypto alone sets in the same run (one Ed25519 verify + one sign per cap, same backend).
 */
export async function benchSeal(): Promise<BenchRow[]> {
  const actorKey = signingKeyFromSeed(new Uint8Array(32).fill(7), nodeBackend);
  const busKey = signingKeyFromSeed(new Uint8Array(32).fill(9), nodeBackend);
  const keyring = { actors: { 'codex.aint': [keyText(actorKey.publicKey)] }, bus: keyText(busKey.publicKey) };
  const bus = createMemoryBus({ keyring, busKey, backend: nodeBackend, phases: { sink: new DiscardSink() } });
  const sealed = Array.from({ length: CAPS }, (_, i) =>
    sealRecord(makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:bench', payload: { tool: 'search', i } }, bus.context), actorKey, nodeBackend),
  );

  const runPipeline = async () => {
    for (const { bytes } of sealed) {
      const result = await bus.submit({ sealed: bytes });
      if (!result.seal?.cap.verified) throw new Error('bench caps must verify');
    }
  };

  // what the crypto costs alone: verify each cap's signature, sign a receipt-sized message
  const signatures = sealed.map(({ bytes }) => bytes.subarray(bytes.length - 64));
  const sigStructures = sealed.map(({ payload }) => encodeCbor(['Signature1', encodeCbor(new Map([[1, -8]])), new Uint8Array(0), payload]));
  const receiptSized = new Uint8Array(420);
  const runBound = () => {
    for (let i = 0; i < CAPS; i++) {
      if (!nodeBackend.verify(signatures[i]!, sigStructures[i]!, actorKey.publicKey)) throw new Error('bench signature must verify');
      nodeBackend.sign(busKey.seed, receiptSized);
    }
  };
  const [pipeline, bound] = (await interleaved(CAPS, [runPipeline, runBound])) as [number, number];

  const share = pipeline / bound;
  return [
    { name: 'crypto bound (Ed25519 verify + sign, node:crypto)', value: bound, unit: 'caps/s' },
    { name: 'sealed pipeline (verify cap, run, seal receipt)', value: pipeline, unit: 'caps/s' },
    { name: 'sealed pipeline / crypto bound', value: share * 100, unit: '%', target: '>= 85%', met: share >= 0.85 },
  ];
}
