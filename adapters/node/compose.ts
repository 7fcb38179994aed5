import { writeFileSync } from 'node:fs';
import { loadKeyringFile, loadSigningKey } from './cli/seal.js';
import { CliError, type CliBus, type CliTools, type RunFlags } from './cli/program.js';
import { LaneMux, type ScheduleTraceRecord } from '../mux/index.js';
import { signingKeyFromSeed } from '../../src/seal/keys.js';
import type { Phases } from '../../src/pipeline/phases.js';
import { createMemoryBus, DiscardSink, EchoExecutor } from '../memory/index.js';
import { guardExecutor, guardFor, loadTwinDevices } from '../twin-guard/index.js';
import { nodeBackend } from './ed25519.js';

/**
 * Builds the bus a CLI command asked for: the in-memory default, sealing every receipt (with
 * --bus-key, or a fresh key per run), verifying with the keyring, plus whatever else flags enable.
 */
export function composeBus(flags: RunFlags, tools: Pick<CliTools, 'readText'>): CliBus {
  // commands read results from what each run returns; a sink that kept them all would only grow
  // (without bound in a `serve` worker)
  const phases: Partial<Phases> = { sink: new DiscardSink() };
  const sections: (() => Record<string, unknown>)[] = [];
  if (flags.twinDevices !== undefined) {
    // with a keyring, identity means more than a name: the state caps' seals must verify
    const guard = guardFor(loadTwinDevices(flags.twinDevices, tools.readText), { requireVerified: flags.keyring !== undefined });
    phases.execute = guardExecutor(new EchoExecutor(), guard);
    sections.push(() => ({ twin_audit: { tokens: guard.auditTokens(), status: guard.status() } }));
  }
  const trace: ScheduleTraceRecord[] = [];
  if (flags.scheduleTrace !== undefined) phases.schedule = new LaneMux({ onTrace: (record) => trace.push(record) });
  const busKey = flags.busKey === undefined ? signingKeyFromSeed(crypto.getRandomValues(new Uint8Array(32)), nodeBackend) : loadSigningKey(flags.busKey);
  const bus = createMemoryBus({
    phases,
    busKey,
    backend: nodeBackend,
    allowUnsealed: !flags.requireSeal,
    ...(flags.keyring === undefined ? {} : { keyring: loadKeyringFile(flags.keyring) }),
  });
  return {
    bus,
    busPublicKey: bus.phases.seal!.publicKey,
    sections: () => Object.assign({}, ...sections.map((section) => section())),
    finish: () => {
      if (flags.scheduleTrace === undefined) return;
      try {
        writeFileSync(flags.scheduleTrace, trace.map((record) => JSON.stringify(record) + '\n').join(''));
      } catch (error) {
        throw new CliError(`cannot write ${flags.scheduleTrace}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    },
  };
}
