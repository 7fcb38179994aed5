import { loadKeyringFile, loadSigningKey } from '../../src/cli-seal.js';
import type { CliBus, CliTools, RunFlags } from '../../src/cli.js';
import { signingKeyFromSeed } from '../../src/keys.js';
import type { Phases } from '../../src/phases.js';
import { createMemoryBus, EchoExecutor } from '../memory/index.js';
import { guardExecutor, guardFor, loadTwinDevices } from '../twin-guard/index.js';
import { nodeBackend } from './ed25519.js';

/**
 * Builds the bus a CLI command asked for: the in-memory default, sealing every receipt (with
 * --bus-key, or a fresh key per run), verifying with the keyring, plus whatever else flags enable.
 */
export function composeBus(flags: RunFlags, tools: Pick<CliTools, 'readText'>): CliBus {
  const phases: Partial<Phases> = {};
  const sections: (() => Record<string, unknown>)[] = [];
  if (flags.twinDevices !== undefined) {
    const guard = guardFor(loadTwinDevices(flags.twinDevices, tools.readText));
    phases.execute = guardExecutor(new EchoExecutor(), guard);
    sections.push(() => ({ twin_audit: { tokens: guard.auditTokens(), status: guard.status() } }));
  }
  const busKey = flags.busKey === undefined ? signingKeyFromSeed(crypto.getRandomValues(new Uint8Array(32)), nodeBackend) : loadSigningKey(flags.busKey);
  const bus = createMemoryBus({
    phases,
    busKey,
    backend: nodeBackend,
    allowUnsealed: !flags.requireSeal,
    ...(flags.keyring === undefined ? {} : { keyring: loadKeyringFile(flags.keyring) }),
  });
  return { bus, busPublicKey: bus.phases.seal!.publicKey, sections: () => Object.assign({}, ...sections.map((section) => section())) };
}
