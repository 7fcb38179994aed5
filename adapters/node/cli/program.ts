import { Command, CommanderError } from 'commander';
import { VERSION } from '../../../src/version.js';
import { memorySpools, type SpoolFactory } from '../../../src/json-document.js';
import { registerEmitCommand } from './emit.js';
import { CliError, EXIT } from './errors.js';
import type { CliBus, CliExtension, CliTools, HostParts, SealFlags } from './extension.js';
import { registerExportCommands } from './exports.js';
import { registerGraphCommand } from './graph.js';
import { registerRunCommands } from './run.js';
import { registerSealCommands } from './seal.js';
import { wholeNumber } from './options.js';
import { REPLAY_WINDOW_AGE_MS, REPLAY_WINDOW_SIZE } from '../../../src/replay-window.js';
import { MAX_PAYLOAD_DEPTH } from '../../../src/json-data.js';

/** What the program needs from its host: how to build a bus, where text goes, which adapters extend it. */
export interface CliDeps {
  /** builds a run's bus from its flags and every extension's part of it */
  composeBus(flags: SealFlags & Record<string, unknown>, extensions: readonly CliExtension[], tools: CliTools, host?: HostParts): CliBus;
  extensions?: readonly CliExtension[];
  stdout(text: string): void;
  stderr(text: string): void;
  readBytes(path: string): Uint8Array;
  readText(path: string): string;
  writeText(path: string, text: string): void;
  /** stdout for streamed output, with backpressure (default: `stdout`, without) */
  sink?: CliTools['sink'];
  /** where held-back document lists go (default: memory) */
  spools?: SpoolFactory;
}

function buildProgram(deps: CliDeps): Command {
  const extensions = deps.extensions ?? [];
  const out = deps.stdout;
  const program = new Command('tibet-cap-bus')
    .description('Identity-bound, causally ordered command bus: run caps, export and validate what they did.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 success; 1 what was checked is bad (INVALID, failed verification, cap refused);\n2 usage error or unreadable input (the message names the file and line); 70 internal error.\n' +
        '\nTrust: a jis cap\'s key must be bound by the keyring to every identity the cap names (actor_id,\n' +
        'and actor_aint when it differs); a self-signed cap may not use a name the keyring binds to other\n' +
        'keys. Either is refused as key-not-bound: a rejected receipt, never executed.\n' +
        `\nInput limits: a cap is JSON data (payload nested at most ${MAX_PAYLOAD_DEPTH} levels, well-formed Unicode,\n` +
        'no "__proto__" keys); a cap_id seen twice in one --input file is a bad line naming both; a\n' +
        'byte-order mark on the first line is skipped. A cap_id replayed to a running bus within its\n' +
        `replay window (--replay-window, default ${REPLAY_WINDOW_SIZE} caps; --replay-window-age, default ${REPLAY_WINDOW_AGE_MS / 1000} s)\n` +
        'gets the first receipt and never runs twice.',
    )
    .configureOutput({ writeOut: out, writeErr: deps.stderr })
    .exitOverride();

  const withRunFlags = (cmd: Command) => {
    cmd
      .option('--keyring <file>', 'keyring JSON binding actors to Ed25519 keys ({"actors": {...}, "bus": ...})')
      .option('--bus-key <file>', 'key file the bus seals receipts and follow-ups with (default: a fresh key per run)')
      .option('--require-seal', 'refuse unsealed caps (they get a rejected receipt and go to triage)')
      .option('--replay-window <n>', `cap_ids remembered, so a replayed cap gets its first receipt and never runs twice (0 turns it off; default ${REPLAY_WINDOW_SIZE})`, wholeNumber('--replay-window'))
      .option('--replay-window-age <seconds>', `how long a cap_id stays in the replay window (default ${REPLAY_WINDOW_AGE_MS / 1000})`, wholeNumber('--replay-window-age', 1));
    for (const option of extensions.flatMap((extension) => extension.runOptions?.() ?? [])) cmd.addOption(option);
    return cmd;
  };
  const tools: CliTools = {
    out,
    err: deps.stderr,
    sink: deps.sink ?? { write: (text) => out(typeof text === 'string' ? text : new TextDecoder().decode(text)), flush: async () => {} },
    spools: deps.spools ?? memorySpools,
    readText: deps.readText,
    readBytes: deps.readBytes,
    writeText: deps.writeText,
    withRunFlags,
    composeBus: (flags, host) => deps.composeBus(flags, extensions, tools, host),
  };

  registerRunCommands(program, tools);
  registerEmitCommand(program, tools, extensions);
  registerExportCommands(program, tools);
  registerGraphCommand(program, tools);
  registerSealCommands(program, tools);
  for (const extension of extensions) extension.commands?.(program, tools);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests and bins share it. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const program = buildProgram(deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; argument errors are usage errors.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      if (error.message) deps.stderr(`tibet-cap-bus: ${error.message}\n`);
      return error.exitCode;
    }
    deps.stderr(`tibet-cap-bus: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}
