import type { CliBus, CliTools, RunFlags } from '../../src/cli.js';
import type { Phases } from '../../src/phases.js';
import { createMemoryBus, EchoExecutor } from '../memory/index.js';
import { guardExecutor, guardFor, loadTwinDevices } from '../twin-guard/index.js';

/** Builds the bus a CLI command asked for: the in-memory default plus whatever its flags enable. */
export function composeBus(flags: RunFlags, tools: Pick<CliTools, 'readText'>): CliBus {
  const phases: Partial<Phases> = {};
  const sections: (() => Record<string, unknown>)[] = [];
  if (flags.twinDevices !== undefined) {
    const guard = guardFor(loadTwinDevices(flags.twinDevices, tools.readText));
    phases.execute = guardExecutor(new EchoExecutor(), guard);
    sections.push(() => ({ twin_audit: { tokens: guard.auditTokens(), status: guard.status() } }));
  }
  const bus = createMemoryBus({ phases });
  return { bus, sections: () => Object.assign({}, ...sections.map((section) => section())) };
}
