import type { BusPart, CliBus, CliExtension, CliTools, HostParts, SealFlags } from './cli/extension.js';
import { loadKeyringFile, loadSigningKey } from './cli/seal.js';
import { signingKeyFromSeed } from '../../src/seal/keys.js';
import type { ExecuteHook } from '../../src/pipeline/hooks.js';
import type { Phases } from '../../src/pipeline/phases.js';
import { createMemoryBus, DiscardSink } from '../memory/index.js';
import { mergeViews } from '../ops/bus-view.js';
import { nodeBackendOnThisThread } from './ed25519.js';

/**
 * Builds the bus a CLI command asked for: the in-memory default, sealing every receipt (with
 * --bus-key, or a fresh key per run), verifying with the keyring, plus what each extension adds
 * for the flags it was given. A host's parts (a NATS worker's) go in too, its hooks outside the
 * extensions' own.
 */
export function composeBus(flags: SealFlags & Record<string, unknown>, extensions: readonly CliExtension[], tools: CliTools, host: HostParts = {}): CliBus {
  const parts = extensions.map((extension) => extension.compose?.(flags, tools, host)).filter((part): part is BusPart => part !== undefined);
  // commands read results from what each run returns; a sink that kept them all would only grow
  // (without bound in a `serve` worker)
  const phases: Partial<Phases> = Object.assign({ sink: new DiscardSink() }, host.phases, ...parts.map((part) => part.phases));
  const execute: ExecuteHook[] = [...(host.hooks?.execute ?? []), ...parts.flatMap((part) => part.hooks?.execute ?? [])];
  const busKey = flags.busKey === undefined ? signingKeyFromSeed(crypto.getRandomValues(new Uint8Array(32)), nodeBackendOnThisThread) : loadSigningKey(flags.busKey);
  const bus = createMemoryBus({
    phases,
    hooks: { execute },
    busKey,
    // Ed25519 only where it buys something: an output that carries seals, or a key the user gave
    signs: flags.signs === true || flags.busKey !== undefined || flags.keyring !== undefined,
    backend: host.offload ? { ...nodeBackendOnThisThread, offload: host.offload } : nodeBackendOnThisThread,
    allowUnsealed: !flags.requireSeal,
    config: {
      ...(flags.replayWindow === undefined ? {} : { replayWindowSize: flags.replayWindow }),
      ...(flags.replayWindowAge === undefined ? {} : { replayWindowMs: flags.replayWindowAge * 1000 }),
    },
    ...(flags.keyring === undefined ? {} : { keyring: loadKeyringFile(flags.keyring) }),
  });
  return {
    bus,
    busPublicKey: bus.phases.seal!.publicKey,
    sections: () => Object.assign({}, ...parts.map((part) => part.sections?.())),
    finish: () => {
      for (const part of parts) part.finish?.();
    },
    view: mergeViews(parts.flatMap((part) => (part.view ? [part.view] : []))),
  };
}
