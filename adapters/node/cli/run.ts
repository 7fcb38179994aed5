import type { Command } from 'commander';
import { SOURCE_BUILDERS, type SourceName } from '../../../src/demo-sources.js';
import { parseCapLines } from '../../../src/input.js';
import type { CapBus } from '../../../src/pipeline/pipeline.js';
import type { ExecutionResult } from '../../../src/records/result.js';
import { CliError } from './errors.js';
import type { CliBus, CliTools, SealFlags } from './extension.js';
import { hopsOption, inputOption, sourceOption } from './options.js';

/** Flags of a command that runs a source or an input file. */
export interface RunOptions extends SealFlags {
  source?: SourceName;
  input?: string;
  hops?: number;
  [flag: string]: unknown;
}

/** A run's results and the bus that produced them. */
export interface Run {
  results: ExecutionResult[];
  cliBus: CliBus;
}

/** Runs a named source or an --input file, each root a chain of `hops` (source default when unset). */
export async function runCaps(options: RunOptions, tools: CliTools): Promise<Run> {
  const cliBus = tools.composeBus(options);
  const results = await runOn(cliBus.bus, options, tools);
  cliBus.finish();
  return { results, cliBus };
}

async function runOn(bus: CapBus, options: RunOptions, tools: CliTools): Promise<ExecutionResult[]> {
  if (options.input !== undefined) {
    const { entries, problems } = parseCapLines(tools.readText(options.input), bus.context);
    if (problems.length > 0) {
      throw new CliError(problems.map((p) => `${options.input}:${p.line}: ${p.message}`).join('\n'));
    }
    if (entries.length === 0) throw new CliError(`${options.input}: no caps (the file has no non-blank lines)`);
    const roots = entries.map((e) => (e.kind === 'cap' ? { cap: e.cap } : { sealed: e.bytes }));
    return bus.runRoots(roots, options.hops ?? 1);
  }
  // submitted, not run: the verify step applies (--require-seal refuses these unsealed caps)
  const source = SOURCE_BUILDERS[options.source ?? 'demo'](bus.context);
  return bus.runRoots(source.roots.map((cap) => ({ cap })), options.hops ?? source.hops);
}

/** Adds --source, --input and --hops and the run flags. */
export const withRunOptions = (cmd: Command, tools: CliTools, hopsDefault?: string) =>
  tools.withRunFlags(cmd.addOption(sourceOption()).addOption(inputOption()).addOption(hopsOption(hopsDefault)));

/** demo, trace, chain, triage, resume: the scenarios, printed for people (or as JSON). */
export function registerRunCommands(program: Command, tools: CliTools): void {
  const { out } = tools;
  const printResults = (results: ExecutionResult[], json: boolean) => {
    if (json) return out(JSON.stringify(results, null, 2) + '\n');
    out(results.map(resultLine).join('\n') + '\n');
  };
  type Printed = RunOptions & { json?: boolean };

  tools
    .withRunFlags(program.command('demo'))
    .description('run the four demo caps (agent tool, factory motion, service RPC, forking plan) and show their receipts')
    .option('--json', 'print the full execution results as JSON')
    .action(async (o: Printed) => printResults((await runCaps({ ...o, source: 'demo' }, tools)).results, Boolean(o.json)));

  withRunOptions(program.command('trace'), tools)
    .description('show the phase evidence (place, distribute, inject, align, execute) of every cap')
    .option('--json', 'print the full execution results as JSON')
    .action(async (o: Printed) => {
      const { results } = await runCaps(o, tools);
      out(o.json ? JSON.stringify(results, null, 2) + '\n' : results.map(traceBlock).join('\n') + '\n');
    });

  tools
    .withRunFlags(program.command('chain'))
    .description('run the forking plan as a bounded breadth-first continuation chain')
    .option('--json', 'print the full execution results as JSON')
    .addOption(hopsOption('3'))
    .action(async (o: Printed) => printResults((await runCaps({ ...o, source: 'chain' }, tools)).results, Boolean(o.json)));

  for (const [name, what] of [
    ['triage', 'run a resync-needed cap and a rejected cap into their triage lanes'],
    ['resume', 'run two resume caps (sealed 15 s and 300 s ago): freeze_resume and fork_on_hop_off'],
  ] as const) {
    tools
      .withRunFlags(program.command(name))
      .description(what)
      .option('--json', 'print the full execution results as JSON')
      .addOption(hopsOption('2'))
      .action(async (o: Printed) => printResults((await runCaps({ ...o, source: name }, tools)).results, Boolean(o.json)));
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
