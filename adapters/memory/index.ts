import { CapBus, busContext, type BusOptions } from '../../src/pipeline/pipeline.js';
import type { Phases } from '../../src/pipeline/phases.js';
import type { BusHooks } from '../../src/pipeline/hooks.js';
import type { LanePolicyDerivation } from '../../src/policy/lane.js';
import type { Keyring } from '../../src/seal/keys.js';
import type { Ed25519Backend, SigningKey } from '../../src/seal/seal.js';
import { KeySealer, SealVerifier } from '../seal/index.js';
import { LocalAligner, PartitionedAligner } from './aligner.js';
import { IntentDistributor } from './distributor.js';
import { EchoExecutor } from './executor.js';
import { MemorySlotInjector } from './injector.js';
import { LamportPlacer } from './placer.js';
import { usageProjector } from './projector.js';
import { MemorySink } from './sink.js';
import { ImmediateScheduler } from './scheduler.js';
import { LaneMux } from '../mux/index.js';

export { ImmediateScheduler, LocalAligner, PartitionedAligner, IntentDistributor, EchoExecutor, MemorySlotInjector, LamportPlacer, MemorySink, usageProjector };
export { DiscardSink } from './sink.js';
export { realTimer, MAX_DURATION_MS, type Timer } from './executor.js';

export interface MemoryBusOptions extends BusOptions {
  /** binds actors to keys for `jis` caps */
  keyring?: Keyring;
  /** seals receipts and follow-ups; without it the bus does not seal */
  busKey?: SigningKey;
  /** false: with a bus key, receipts and follow-ups are only hashed, not signed (default true) */
  signs?: boolean;
  /** accept unsealed cap objects (verified = false); default true */
  allowUnsealed?: boolean;
  /** Ed25519 implementation (default: @noble/ed25519; Node's OpenSSL one is adapters/node/ed25519) */
  backend?: Ed25519Backend;
  /** largest sealed cap accepted, in bytes (default 1 MiB) */
  maxSealedBytes?: number;
  /** replace any phase; the rest are the in-memory defaults */
  phases?: Partial<Phases>;
  /** a custom lane-policy derivation for the default distributor */
  derive?: LanePolicyDerivation;
  /** cross-cutting behaviour around the phases (e.g. guards around execute) */
  hooks?: BusHooks;
}

/** A bus whose phases all run in this process: the embedded default. */
export function createMemoryBus(options: MemoryBusOptions = {}): CapBus {
  const context = busContext(options);
  const { clock, ids, config } = context;
  const sealer = options.busKey ? new KeySealer(options.busKey, options.backend, options.signs) : undefined;
  const phases: Phases = {
    verify: new SealVerifier({
      ctx: context,
      keyring: options.keyring,
      busKeys: sealer ? [sealer.publicKey] : [],
      allowUnsealed: options.allowUnsealed,
      maxBytes: options.maxSealedBytes,
      backend: options.backend,
    }),
    ...(sealer ? { seal: sealer } : {}),
    place: new LamportPlacer(),
    distribute: new IntentDistributor(clock, options.derive),
    schedule: new LaneMux(),
    inject: new MemorySlotInjector(),
    align: new LocalAligner(),
    execute: new EchoExecutor(),
    project: usageProjector(ids, config),
    sink: new MemorySink(),
    ...options.phases,
  };
  return new CapBus(phases, context, options.hooks);
}
