import { Option } from 'commander';
import { z } from 'zod';
import { CliError } from '../node/cli/errors.js';
import { cliExtension } from '../node/cli/extension.js';
import { describeIssues } from '../../src/records/cap.js';
import { twinInfoText, runTwinDemo } from './demo.js';
import { guardHook } from './executor.js';
import { TwinGuard } from './guard.js';
import { twinProfilesJson, twinProfilesText } from './profiles.js';
import { TwinDeviceSchema, type TwinDevice } from './state.js';

const DevicesSchema = z.array(TwinDeviceSchema).min(1, 'expected at least one device');

/** Reads a `--twin-devices` file: a JSON list of devices; errors name the file and the device. */
function loadTwinDevices(path: string, readText: (path: string) => string): TwinDevice[] {
  let value: unknown;
  try {
    value = JSON.parse(readText(path));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${path}: not JSON (${(error as Error).message})`);
  }
  const parsed = DevicesSchema.safeParse(value);
  if (!parsed.success) throw new CliError(`${path}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function guardFor(devices: readonly TwinDevice[], options: ConstructorParameters<typeof TwinGuard>[0] = {}): TwinGuard {
  const guard = new TwinGuard(options);
  for (const device of devices) guard.register(device);
  return guard;
}

/**
 * The twin guard in the CLI: `--twin-devices` puts factory.* caps behind the guard (its audit goes
 * into export-all as `twin_audit`), and `twin demo | profiles | info`.
 */
export const twinGuardCli = cliExtension<{ twinDevices?: string; keyring?: string }>({
  runOptions: () => [new Option('--twin-devices <file>', 'JSON list of twin devices; factory.* caps must then pass the twin sync guard')],
  compose(flags, tools, host) {
    if (flags.twinDevices === undefined) return undefined;
    // with a keyring, identity means more than a name: the state caps' seals must verify
    const guard = guardFor(loadTwinDevices(flags.twinDevices, tools.readText), { requireVerified: flags.keyring !== undefined });
    return {
      // a worker of a partitioned deployment keeps the states deployment-wide
      hooks: { execute: [guardHook(guard, host.twinStore ? { store: host.twinStore } : {})] },
      sections: () => ({ twin_audit: { tokens: guard.auditTokens(), status: guard.status() } }),
      view: { twin: guard },
    };
  },
  commands(program, tools) {
    const twin = program.command('twin').description('the twin sync guard: no industrial action without proven synchronization');
    twin
      .command('demo')
      .description('the crane scenario through the bus: out of sync → blocked and triaged; in sync → executed')
      .option('--json', 'print steps, audit tokens and counters as JSON')
      .action(async (o: { json?: boolean }) => tools.out((await runTwinDemo({ json: Boolean(o.json) })).lines.join('\n') + '\n'));
    twin
      .command('profiles')
      .description('industry profiles: drift and state-age limits, safety-critical flag, example assets')
      .option('--json', 'print as JSON')
      .action((o: { json?: boolean }) => tools.out((o.json ? twinProfilesJson() : twinProfilesText()) + '\n'));
    twin
      .command('info')
      .description('what the guard checks; with --twin-devices, the registered devices')
      .option('--twin-devices <file>', 'JSON list of twin devices')
      .action((o: { twinDevices?: string }) => {
        const guard = o.twinDevices === undefined ? undefined : guardFor(loadTwinDevices(o.twinDevices, tools.readText));
        tools.out(twinInfoText(guard) + '\n');
      });
  },
});
