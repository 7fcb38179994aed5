import type { Command } from 'commander';
import { SOURCE_BUILDERS, type SourceName } from '../../../src/demo-sources.js';
import { resultsJsonWriter, textWriter, type ResultWriter } from '../../../src/exports/export-stream.js';
import { streamChains } from '../../../src/pipeline/run-stream.js';
import { CapInputError, openCapInput, type CapInput } from '../cap-input.js';
import { DEFAULT_MAX_LINE_BYTES } from '../line-reader.js';
import { startProgress } from '../progress.js';
import type { CapBus } from '../../../src/pipeline/pipeline.js';
import type { ExecutionResult } from '../../../src/records/result.js';
import { CliError } from './errors.js';
import type { CliBus, CliTools, SealFlags } from './extension.js';
import { hopsOption, inputOption, maxLineBytesOption, noProgressOption, progressOption, sourceOption } from './options.js';

/** Flags of a command that runs a source or an input file. */
export interface RunOptions extends SealFlags {
  source?: SourceName;
  input?: string;
  hops?: number;
  [flag: string]: unknown;
}

/**
 * Runs a named source or an --input file, each root a chain of `hops` (source default when
 * unset), streamed: roots are read as the run needs them, and each result goes to the writer
 * as soon as it is its turn (input order, each chain breadth-first). `writerFor` is given the
 * run's bus (for its key and its adapters' sections).
 */
export async function runCaps(options: RunOptions, tools: CliTools, writerFor: (cliBus: CliBus) => ResultWriter | Promise<ResultWriter>): Promise<void> {
  const cliBus = tools.composeBus(options);
  const { bus } = cliBus;
  const input = await rootsOf(bus, options);
  const writer = await writerFor(cliBus);
  const progress = startProgress({ stream: process.stderr, wanted: options.progress as boolean | undefined, totalRoots: input.total });
  try {
    for await (const chain of streamChains(bus, input.batches, { maxHops: input.hops })) {
      for (const result of chain) await writer.add(result);
      progress.chainDone(chain.length);
    }
  } catch (error) {
    // the input failed while it was read (a file removed before its second pass, a read error)
    progress.end();
    throw inputFailure(error, options.input);
  }
  cliBus.finish();
  await writer.end();
  await tools.sink.flush();
  progress.end();
  const stopped = input.stoppedAt();
  if (stopped) throw new CliError(`${options.input}:${stopped.line}: ${stopped.message} (the run stopped there: the output holds the caps before it)`);
}

/** A CapInputError as the CLI reports it (one line per bad line, the first of them named); anything else as it is. */
function inputFailure(error: unknown, input: string | undefined): unknown {
  if (!(error instanceof CapInputError)) return error;
  if (error.unreadable !== undefined) return new CliError(error.unreadable);
  const more = error.count - error.problems.length;
  return new CliError([...error.problems.map((p) => `${input}:${p.line}: ${p.message}`), ...(more > 0 ? [`${input}: … and ${more} more bad line(s)`] : [])].join('\n'));
}

interface RunInput extends CapInput {
  hops: number;
}

async function rootsOf(bus: CapBus, options: RunOptions): Promise<RunInput> {
  const { input } = options;
  if (input === undefined) {
    // submitted, not run: the verify step applies (--require-seal refuses these unsealed caps)
    const source = SOURCE_BUILDERS[options.source ?? 'demo'](bus.context);
    const roots = source.roots.map((cap) => ({ cap }));
    return { total: roots.length, batches: [roots], stoppedAt: () => undefined, hops: options.hops ?? source.hops };
  }
  let opened: CapInput;
  try {
    opened = await openCapInput(input, bus.context, { maxLineBytes: (options.maxLineBytes as number | undefined) ?? DEFAULT_MAX_LINE_BYTES });
  } catch (error) {
    throw inputFailure(error, input);
  }
  if (opened.total === 0) throw new CliError(`${input}: no caps (the file has no non-blank lines)`);
  return { ...opened, hops: options.hops ?? 1 };
}

/** Adds --source, --input, --hops, the input limit, progress and the run flags. */
export const withRunOptions = (cmd: Command, tools: CliTools, hopsDefault?: string) =>
  tools.withRunFlags(cmd.addOption(sourceOption()).addOption(inputOption()).addOption(hopsOption(hopsDefault)).addOption(maxLineBytesOption()).addOption(progressOption()).addOption(noProgressOption()));

/** demo, trace, chain, triage, resume: the scenarios, printed for people (or as JSON). */
export function registerRunCommands(program: Command, tools: CliTools): void {
  type Printed = RunOptions & { json?: boolean };
  // full results carry the seals, so a --json run signs them
  const printResults = (o: Printed, lines: (result: ExecutionResult) => string) =>
    runCaps({ ...o, signs: o.json }, tools, () => (o.json ? resultsJsonWriter(tools.sink) : textWriter(tools.sink, lines)));

  tools
    .withRunFlags(program.command('demo'))
    .description('run the four demo caps (agent tool, factory motion, service RPC, forking plan) and show their receipts')
    .option('--json', 'print the full execution results as JSON')
    .action((o: Printed) => printResults({ ...o, source: 'demo' }, resultLine));

  withRunOptions(program.command('trace'), tools)
    .description('show the phase evidence (place, distribute, inject, align, execute) of every cap')
    .option('--json', 'print the full execution results as JSON')
    .action((o: Printed) => printResults(o, traceBlock));

  tools
    .withRunFlags(program.command('chain'))
    .description('run the forking plan as a bounded breadth-first continuation chain')
    .option('--json', 'print the full execution results as JSON')
    .addOption(hopsOption('3'))
    .action((o: Printed) => printResults({ ...o, source: 'chain' }, resultLine));

  for (const [name, what] of [
    ['triage', 'run a resync-needed cap and a rejected cap into their triage lanes'],
    ['resume', 'run two resume caps (sealed 15 s and 300 s ago): freeze_resume and fork_on_hop_off'],
  ] as const) {
    tools
      .withRunFlags(program.command(name))
      .description(what)
      .option('--json', 'print the full execution results as JSON')
      .addOption(hopsOption('2'))
      .action((o: Printed) => printResults({ ...o, source: name }, resultLine));
  }
}

function resultLine(r: ExecutionResult): string {
  const { cap, lane_id, causal_rank, lane_policy } = r.distributed;
  const children = r.spawned_caps.length ? `  -> ${r.spawned_caps.map((c) => c.intent).join(', ')}` : '';
  return (
    `${cap.cap_id}  rank=${causal_rank}  ${cap.intent}  ${cap.actor_id}\n` +
    `    lane=${lane_id} (${lane_policy.lane_class}, ${lane_policy.lane_collision_policy}, coffee=${lane_policy.coffee_lane_policy}: ${lane_policy.coffee_reason})\n` +
    `    receipt=${r.receipt.receipt_id} outcome=${r.receipt.outcome} mode=${r.receipt.continuation_mode}${children}`
  );
}

function traceBlock(r: ExecutionResult): string {
  const { cap } = r.distributed;
  const phases = r.distributed.evidence.map((e) => {
    const facts = Object.entries(e.details)
      .filter(([, v]) => v === null || typeof v !== 'object')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return `  ${e.phase.padEnd(10)} ${e.status.padEnd(14)} ${facts}`;
  });
  return [`${cap.cap_id} ${cap.intent} (${cap.actor_id})`, ...phases].join('\n');
}
