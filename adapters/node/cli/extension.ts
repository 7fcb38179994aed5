import type { Command, Option } from 'commander';
import type { Cap } from '../../../src/records/cap.js';
import type { CapReceipt } from '../../../src/records/receipt.js';
import type { Phases } from '../../../src/pipeline/phases.js';
import type { BusHooks } from '../../../src/pipeline/hooks.js';
import type { CapBus } from '../../../src/pipeline/pipeline.js';
import type { Ed25519Offload, SigningKey } from '../../../src/seal/seal.js';
import type { BusView } from '../../ops/bus-view.js';
import type { SpoolFactory, TextSink } from '../../../src/json-document.js';
import type { TwinStore } from '../../twin-guard/store.js';

/** Flags of every command that runs caps that the CLI itself knows: how the bus seals, trusts and answers replays. */
export interface SealFlags {
  /** keyring JSON binding actors to keys (jis caps need it) */
  keyring?: string;
  /** key file of the bus; receipts and follow-ups are sealed with it (default: a fresh key per run) */
  busKey?: string;
  /** refuse unsealed caps */
  requireSeal?: boolean;
  /**
   * the output carries seals (export-all's sealed section, full results, a worker's receipts), so
   * receipts and follow-ups are signed; otherwise only hashed, unless a bus key or keyring is given
   */
  signs?: boolean;
  /** cap_ids remembered so a replay gets the first receipt (0: off) */
  replayWindow?: number;
  /** seconds a cap_id stays in the replay window */
  replayWindowAge?: number;
}

/** What an adapter adds to one run's bus, decided from the run's flags. */
export interface BusPart {
  /** phases it replaces */
  phases?: Partial<Phases>;
  /** behaviour it wraps around the phases */
  hooks?: BusHooks;
  /** export-all sections it contributes (e.g. `twin_audit`), read after the run */
  sections?(): Record<string, unknown>;
  /** called once the run is over (e.g. writes a trace file) */
  finish?(): void;
  /** what it lets operators see of the bus (lane load, schedule trace, twin guard) */
  view?: Partial<BusView>;
}

/** What a host that runs the bus (a NATS worker) plugs in when it has the CLI build it. */
export interface HostParts {
  /** wrap outside every extension's own */
  hooks?: BusHooks;
  /** phases the host replaces (a partitioned align) */
  phases?: Partial<Phases>;
  /** deployment-wide twin states, for the twin guard (default: the guard's own memory) */
  twinStore?: TwinStore;
  /**
   * Ed25519 off the main thread while other caps are in flight (the worker threads of `serve`):
   * for a host that serves many senders at once. Without it a run signs on its own thread; for a
   * command's batch run the threads bought no speed and cost memory (ROADMAP, issue 12).
   */
  offload?: Ed25519Offload;
}

/** A bus built for one command, plus what its adapters add to export-all. */
export interface CliBus {
  bus: CapBus;
  /** `ed25519:<hex>` of the key the bus seals receipts with */
  busPublicKey: string;
  sections(): Record<string, unknown>;
  finish(): void;
  /** the parts' views as one (a serve worker's console and metrics read it) */
  view: BusView;
}

/** Sends `emit`'s cap somewhere other than an in-process bus and resolves with its receipt. */
export type EmitTarget = (cap: Cap, key: SigningKey | undefined) => Promise<CapReceipt>;

/** Helpers every command, core or adapter, shares. */
export interface CliTools {
  out(text: string): void;
  err(text: string): void;
  /** stdout for output written as a run goes: with backpressure; flushed before the command ends */
  sink: TextSink & { flush(): Promise<void> };
  /** where documents whose head waits for the whole run hold their lists */
  spools: SpoolFactory;
  readText(path: string): string;
  readBytes(path: string): Uint8Array;
  writeText(path: string, text: string): void;
  /** adds the flags of commands that run caps (the CLI's own and every extension's) */
  withRunFlags(cmd: Command): Command;
  /** the bus a command runs on, from its parsed flags; a host's parts go in too (its hooks outermost) */
  composeBus(flags: SealFlags & Record<string, unknown>, host?: HostParts): CliBus;
}

/**
 * The one way an adapter extends the CLI. `F` is the parsed flags the adapter reads; every member
 * is optional. Extensions are given to the program when it is built; no command is changed after.
 */
export interface CliExtension<F extends object = Record<string, unknown>> {
  /** options added to every command that runs caps */
  runOptions?(): Option[];
  /** what this adapter adds to a run's bus, or undefined when its flags are not given */
  compose?(flags: F, tools: CliTools, host: HostParts): BusPart | undefined;
  /** options added to `emit` */
  emitOptions?(): Option[];
  /** where `emit` sends its cap when this adapter's flags ask for it (throws CliError on flags that do not fit) */
  emitTarget?(flags: F): EmitTarget | undefined;
  /** commands of the adapter's own */
  commands?(program: Command, tools: CliTools): void;
}

/** Types an extension against its own flags and stores it beside the others. */
export const cliExtension = <F extends object>(extension: CliExtension<F>): CliExtension => extension as CliExtension;
