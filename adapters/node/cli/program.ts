import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CapInputSchema, completeCap, describeIssues, type Cap, type CapContext } from '../../../src/records/cap.js';
import { SOURCE_BUILDERS, SOURCES, type SourceName } from '../../../src/demo-sources.js';
import { exportAll } from '../../../src/exports/export.js';
import { cbomDocument } from '../../../src/exports/cbom.js';
import { gatewayEvents, toJsonl, GATEWAY_CONTRACT } from '../../../src/exports/gateway-event.js';
import { governanceDocument } from '../../../src/exports/governance.js';
import { parseCapLines } from '../../../src/input.js';
import { sortedJson } from '../../../src/json.js';
import type { CapBus } from '../../../src/pipeline/pipeline.js';
import type { ExecutionResult } from '../../../src/records/result.js';
import { loadGatewayEvents, validateGatewayEvents } from '../../../src/exports/validator.js';
import { VERSION } from '../../../src/version.js';
import { loadSigningKey, registerSealCommands, sealWithKeyFile } from './seal.js';
import { randomIds, systemClock } from '../../../src/clock.js';
import type { SigningKey } from '../../../src/seal/seal.js';
import type { CapReceipt } from '../../../src/records/receipt.js';

/** Exit codes: 0 success, 1 the checked thing is bad (INVALID, failed verification), 2 usage or unreadable input. */
export const EXIT = { ok: 0, bad: 1, usage: 2 } as const;

/** An error the CLI reports as one line on stderr with the given exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}

/** Where `emit --nats` sends a cap, and how. */
export interface RemoteEmit {
  servers: string[];
  prefix: string;
  key?: SigningKey;
  maxHops?: number;
  /** every parsed flag of the command, for the transport's own (how it logs in) */
  flags: Record<string, unknown>;
}

/** Flags of every command that runs caps; the bin's adapters give them meaning. */
export interface RunFlags {
  /** JSON list of twin devices: factory.* caps then pass the twin sync guard */
  twinDevices?: string;
  /** keyring JSON binding actors to keys (jis caps need it) */
  keyring?: string;
  /** key file of the bus; receipts and follow-ups are sealed with it (default: a fresh key per run) */
  busKey?: string;
  /** refuse unsealed caps */
  requireSeal?: boolean;
  /** write one JSONL line per cap: how the lane mux scheduled it */
  scheduleTrace?: string;
}

/** A bus built for one command, plus what its adapters add to export-all. */
export interface CliBus {
  bus: CapBus;
  /** `ed25519:<hex>` of the key the bus seals receipts with */
  busPublicKey: string;
  /** extra export-all sections (e.g. `twin_audit`), read after the run */
  sections?(): Record<string, unknown>;
  /** called once the run is over (e.g. writes the schedule trace) */
  finish?(): void;
}

/** What the CLI needs from outside core: a way to build a bus (adapters decide which). */
export interface CliDeps {
  createBus(flags: RunFlags, tools: CliTools): CliBus;
  /** sends one cap to a remote bus and resolves with its receipt (`emit --nats`) */
  emitRemote?(cap: Cap, options: RemoteEmit): Promise<unknown>;
  /** adds adapter commands (twin, serve, tail …) */
  extend?(program: Command, tools: CliTools): void;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  readStdin?: () => string;
}

interface RunOptions extends RunFlags {
  source?: SourceName;
  input?: string;
  hops?: number;
}

/** A run's results and the bus that produced them. */
interface Run {
  results: ExecutionResult[];
  cliBus: CliBus;
}

/** Helpers adapter commands share with the core commands. */
export interface CliTools {
  out(text: string): void;
  readText(path: string): string;
  readBytes(path: string): Buffer;
  /** adds the flags of commands that run caps */
  withRunFlags(cmd: Command): Command;
}

const positiveInt = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64) throw new InvalidArgumentError(`${name} must be an integer from 1 to 64`);
  return Number(value);
};

const jsonObject = (name: string) => (value: string) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`${name} is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError(`${name} must be a JSON object`);
  return parsed as Record<string, unknown>;
};

export function buildProgram(deps: CliDeps): Command {
  const out = deps.stdout ?? ((text: string) => process.stdout.write(text));
  const readBytes = (path: string): Buffer => {
    try {
      return readFileSync(path === '-' ? 0 : path);
    } catch (error) {
      throw new CliError(`cannot read ${path === '-' ? 'standard input' : path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  const readText = (path: string): string => (path === '-' && deps.readStdin ? deps.readStdin() : readBytes(path).toString('utf8'));

  /** Runs a named source or an --input file, each root a chain of `hops` (source default when unset). */
  async function runCaps(options: RunOptions): Promise<Run> {
    const cliBus = deps.createBus(options, tools);
    const results = await runOn(cliBus.bus, options);
    cliBus.finish?.();
    return { results, cliBus };
  }

  async function runOn(bus: CapBus, options: RunOptions): Promise<ExecutionResult[]> {
    if (options.input !== undefined) {
      const { entries, problems } = parseCapLines(readText(options.input), bus.context);
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

  const program = new Command('tibet-cap-bus')
    .description('Identity-bound, causally ordered command bus: run caps, export and validate what they did.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 success; 1 what was checked is bad (INVALID, failed verification, cap refused);\n2 usage error or unreadable input (the message names the file and line); 70 internal error.',
    )
    .configureOutput({ writeOut: out, writeErr: deps.stderr ?? ((text: string) => process.stderr.write(text)) })
    .exitOverride();

  const sourceOption = () =>
    new Option('--source <name>', 'built-in scenario to run').choices(SOURCES as unknown as string[]).default('demo');
  const inputOption = () => new Option('--input <file>', 'cap JSONL, one root cap per line ("-" reads stdin); replaces --source');
  const hopsOption = (dflt?: string) =>
    new Option('--hops <n>', `chain depth per root, 1-64 (default: ${dflt ?? 'the source\'s own; 1 for --input'})`).argParser(positiveInt('--hops'));

  const withRunFlags = (cmd: Command) =>
    cmd
      .option('--keyring <file>', 'keyring JSON binding actors to Ed25519 keys ({"actors": {...}, "bus": ...})')
      .option('--bus-key <file>', 'key file the bus seals receipts and follow-ups with (default: a fresh key per run)')
      .option('--require-seal', 'refuse unsealed caps (they get a rejected receipt and go to triage)')
      .option('--schedule-trace <file>', 'write how the lane mux scheduled each cap, one JSON line per cap')
      .option('--twin-devices <file>', 'JSON list of twin devices; factory.* caps must then pass the twin sync guard');
  const tools: CliTools = { out, readText, readBytes, withRunFlags };
  const withRunOptions = (cmd: Command, hopsDefault?: string) =>
    withRunFlags(cmd.addOption(sourceOption()).addOption(inputOption()).addOption(hopsOption(hopsDefault)));

  const printResults = (results: ExecutionResult[], json: boolean) => {
    if (json) return out(JSON.stringify(results, null, 2) + '\n');
    out(results.map(resultLine).join('\n') + '\n');
  };

  withRunFlags(program.command('demo'))
    .description('run the four demo caps (agent tool, factory motion, service RPC, forking plan) and show their receipts')
    .option('--json', 'print the full execution results as JSON')
    .action(async (o: RunOptions & { json?: boolean }) => printResults((await runCaps({ ...o, source: 'demo' })).results, Boolean(o.json)));

  withRunOptions(program.command('trace'))
    .description('show the phase evidence (place, distribute, inject, align, execute) of every cap')
    .option('--json', 'print the full execution results as JSON')
    .action(async (o: RunOptions & { json?: boolean }) => {
      const { results } = await runCaps(o);
      out(o.json ? JSON.stringify(results, null, 2) + '\n' : results.map(traceBlock).join('\n') + '\n');
    });

  withRunFlags(program.command('chain'))
    .description('run the forking plan as a bounded breadth-first continuation chain')
    .option('--json', 'print the full execution results as JSON')
    .addOption(hopsOption('3'))
    .action(async (o: RunOptions & { json?: boolean }) => printResults((await runCaps({ ...o, source: 'chain' })).results, Boolean(o.json)));

  for (const [name, what] of [
    ['triage', 'run a resync-needed cap and a rejected cap into their triage lanes'],
    ['resume', 'run two resume caps (sealed 15 s and 300 s ago): freeze_resume and fork_on_hop_off'],
  ] as const) {
    withRunFlags(program.command(name))
      .description(what)
      .option('--json', 'print the full execution results as JSON')
      .addOption(hopsOption('2'))
      .action(async (o: RunOptions & { json?: boolean }) => printResults((await runCaps({ ...o, source: name })).results, Boolean(o.json)));
  }

  withRunFlags(program.command('emit'))
    .description('build one cap from flags, run it (with its follow-ups up to --hops) and print the results as JSON')
    .requiredOption('--actor <id>', 'actor_id of the sender')
    .requiredOption('--intent <intent>', 'dotted intent, e.g. agent.tool.high')
    .option('--authority <ref>', 'authority_ref', 'sam:tool')
    .option('--payload <json>', 'payload JSON object', jsonObject('--payload'), {})
    .option('--actor-aint <aint>', 'actor_aint (defaults to the actor when it ends in .aint)')
    .option('--actor-jis-pubkey <key>', 'actor_jis_pubkey')
    .option('--executor-class <class>', 'executor_class', 'default')
    .option('--route-class <class>', 'route_class: direct, relay, triage, local, cluster', 'direct')
    .option('--lane-hint <lane>', 'lane id to use instead of lane:<intent>:<executor_class>')
    .option('--parent-id <cap_id>', 'parent cap id')
    .option('--continuation-mode <mode>', 'sets payload.continuation_mode')
    .option('--attestation-layer <layer>', 'jis, self-signed or none', 'jis')
    .option('--attestation-ref <ref>', 'attestation_ref')
    .option('--key <file>', 'seal the cap with this key file before submitting it (self-signed caps get actor_jis_pubkey from it)')
    .option('--nats <url>', 'send the cap to a bus over NATS (repeatable for a cluster) and print its receipt', (v: string, prev: string[] = []) => [...prev, v])
    .option('--subject-prefix <prefix>', 'NATS subject prefix of the bus', 'capbus')
    .addOption(hopsOption('1'))
    .action(async (o: Record<string, unknown>) => {
      if (o.nats !== undefined) {
        if (!deps.emitRemote) throw new CliError('this build has no NATS transport');
        const cap = capFromFlags(o, { clock: systemClock, ids: randomIds() });
        const key = o.key === undefined ? undefined : loadSigningKey(o.key as string);
        const receipt = (await deps.emitRemote(cap, { servers: o.nats as string[], prefix: o.subjectPrefix as string, key, maxHops: o.hops as number | undefined, flags: o })) as CapReceipt;
        out(JSON.stringify(receipt, null, 2) + '\n');
        // the bus answered, but refused to run the cap (bad or untrusted seal, policy)
        if (receipt.payload.accepted === false) throw new CliError(`cap ${receipt.cap_id} was not executed: ${receipt.payload.reason ?? receipt.outcome}`, EXIT.bad);
        return;
      }
      const cliBus = deps.createBus(o as RunFlags, tools);
      const cap = capFromFlags(o, cliBus.bus.context);
      const root = o.key === undefined ? { cap } : { sealed: sealWithKeyFile(cap, o.key as string).bytes };
      const results = await cliBus.bus.runChain(root, (o.hops as number | undefined) ?? 1);
      cliBus.finish?.();
      out(JSON.stringify(results, null, 2) + '\n');
    });

  withRunOptions(program.command('gateway-export').description(`print ${GATEWAY_CONTRACT} records as JSONL (keys sorted)`))
    .option('--json', 'print one JSON list instead of JSONL')
    .action(async (o: RunOptions & { json?: boolean }) => {
      const events = gatewayEvents((await runCaps(o)).results);
      out(o.json ? sortedJson(events, 2) + '\n' : toJsonl(events));
    });

  withRunOptions(program.command('governance-export').description('print the governance document (what/how/who/why) of a run')).action(
    async (o: RunOptions) => out(JSON.stringify(governanceDocument((await runCaps(o)).results), null, 2) + '\n'),
  );

  withRunOptions(program.command('cbom-export').description('print the CBOM document (one continuity object per cap) of a run')).action(
    async (o: RunOptions) => out(JSON.stringify(cbomDocument((await runCaps(o)).results), null, 2) + '\n'),
  );

  withRunOptions(program.command('export-all').description('print gateway events, governance and CBOM of one run as one document')).action(
    async (o: RunOptions) => {
      const { results, cliBus } = await runCaps(o);
      out(JSON.stringify({ ...exportAll(results, cliBus.busPublicKey), ...cliBus.sections?.() }, null, 2) + '\n');
    },
  );

  program
    .command('validate-gateway-event')
    .description(`check records against the ${GATEWAY_CONTRACT} contract (exit 0 VALID, 1 INVALID, 2 unreadable)`)
    .option('--input <path>', 'a .json list (or {"gateway_events": [...]}) or JSONL; "-" reads stdin')
    .addOption(sourceOption())
    .action(async (o: { input?: string; source: SourceName }) => {
      let records: unknown[];
      if (o.input !== undefined) {
        const loaded = loadGatewayEvents(readText(o.input), o.input);
        if (!loaded.ok) throw new CliError(loaded.error);
        records = loaded.records;
      } else {
        records = gatewayEvents((await runCaps({ source: o.source })).results);
      }
      const errors = validateGatewayEvents(records);
      if (errors.length === 0) {
        out(`VALID\n\nrecords: ${records.length}\ncontract: ${GATEWAY_CONTRACT}\n`);
        return;
      }
      out(`INVALID\n\n${errors.map((e) => `- ${e}`).join('\n')}\n`);
      throw new CliError('', EXIT.bad);
    });

  registerSealCommands(program, tools);
  deps.extend?.(program, tools);
  return program;
}

function capFromFlags(o: Record<string, unknown>, ctx: CapContext): Cap {
  const payload = { ...(o.payload as Record<string, unknown>) };
  if (o.continuationMode !== undefined) payload.continuation_mode = o.continuationMode;
  const parsed = CapInputSchema.safeParse({
    actor_id: o.actor,
    intent: o.intent,
    authority_ref: o.authority,
    payload,
    executor_class: o.executorClass,
    route_class: o.routeClass,
    lane_hint: o.laneHint ?? null,
    parent_id: o.parentId ?? null,
    actor_aint: o.actorAint ?? null,
    actor_jis_pubkey: o.actorJisPubkey ?? null,
    attestation_layer: o.attestationLayer,
    attestation_ref: o.attestationRef ?? null,
  });
  if (!parsed.success) throw new CliError(`invalid cap: ${describeIssues(parsed.error)}`);
  return completeCap(parsed.data, ctx);
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

/** Runs the CLI; returns the exit code instead of exiting, so tests and bins share it. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const err = deps.stderr ?? ((text: string) => process.stderr.write(text));
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
      if (error.message) err(`tibet-cap-bus: ${error.message}\n`);
      return error.exitCode;
    }
    err(`tibet-cap-bus: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}
