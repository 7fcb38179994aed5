import { toBase64 } from '../bytes.js';
import type { Cap } from '../records/cap.js';
import { isoTimestamp, randomIds, systemClock, type Clock, type IdSource } from '../clock.js';
import { DEFAULT_CONFIG, type BusConfig } from '../config.js';
import { followUpCaps } from '../policy/continuation.js';
import { ADMITTING_PHASES, PHASE_STATUS, type PhaseEvidence } from '../records/evidence.js';
import { hookedExecutor, type BusHooks } from './hooks.js';
import type { CausalHint, Executor, ExecutorVerdict, PhaseContext, Phases, Submission } from './phases.js';
import { UNSEALED, type CapSeal } from '../records/seal-facts.js';
import { buildReceipt, executorFailure } from '../records/receipt.js';
import type { AdmittedCap, DistributedCap, ExecutionResult } from '../records/result.js';
import { ReplayWindow } from '../replay-window.js';
import { checkRoot } from './roots.js';
import { standInCap } from '../records/stand-in.js';

export interface BusOptions {
  clock?: Clock;
  ids?: IdSource;
  config?: Partial<BusConfig>;
}

export interface RunOptions {
  hint?: CausalHint;
  /** build the follow-up caps the receipt asks for (the chain runner decides by depth) */
  spawn?: boolean;
}

/** How a cap was admitted; `run` without one means a trusted in-process, unsealed cap. */
interface Admitted {
  seal: CapSeal;
  refused?: string;
}

/** The clock, id source and config a bus and its phases share; unset options take the defaults. */
export function busContext(options: BusOptions = {}): PhaseContext {
  return {
    clock: options.clock ?? systemClock,
    ids: options.ids ?? randomIds(),
    config: { ...DEFAULT_CONFIG, ...options.config },
  };
}

/**
 * The cap bus: sender → place → distribute → inject → align → execute → receipt,
 * then usage projection and the sink. Phases are injected; this module only sequences them.
 */
export class CapBus {
  private lastStampMs = Number.NaN;
  private lastStamp = '';
  /** the execute phase inside the hooks given at composition */
  private readonly executor: Executor;

  /** the caps this bus ran recently, so a replayed cap_id gets its first receipt instead of running again */
  private readonly replays: ReplayWindow<Promise<ExecutionResult>>;

  constructor(
    readonly phases: Readonly<Phases>,
    readonly context: PhaseContext = busContext(),
    hooks: BusHooks = {},
  ) {
    this.executor = hookedExecutor(phases.execute, hooks);
    const { replayWindowSize: size, replayWindowMs: ageMs } = context.config;
    this.replays = new ReplayWindow({ size, ageMs }, context.clock);
  }

  /**
   * The entry for anything from outside: the verify step decides trust first. A refused cap is
   * placed and laned like any other (so it is recorded) but never executed: its receipt is
   * `rejected` with the reason, and its follow-up goes to the triage.reject lane.
   */
  submit(submission: Submission, options: RunOptions = {}): Promise<ExecutionResult> {
    return this.enter(submission, options);
  }

  /** A root from outside (a cap object, `{cap}` or `{sealed}`): checked as data first, then trusted as `run` or verified as `submit`. */
  private enter(root: unknown, options: RunOptions): Promise<ExecutionResult> {
    const checked = checkRoot(root);
    if (!checked.ok) {
      const refused = { ...UNSEALED, trust: 'refused' as const };
      return this.execute(standInCap(checked.partial ?? {}, this.context), options, { seal: refused, refused: `${checked.code}: ${checked.error}` }, true);
    }
    if ('bare' in checked.root) return this.execute(checked.root.bare, options, { seal: UNSEALED }, true);
    const admission = this.phases.verify.verify(checked.root);
    return this.execute(admission.cap, options, admission, true);
  }

  /** Runs a cap built in this process (trusted caller, unsealed). Outside input goes through `submit`. */
  run(cap: Cap, options: RunOptions = {}): Promise<ExecutionResult> {
    return this.execute(cap, options, { seal: UNSEALED }, false);
  }

  /**
   * The phases before the lane (verify, place, distribute, inject, align), synchronously, within
   * one instant. What it returns is plain data: a scaled-out worker hands it to the owner of the
   * cap's partition, which completes it.
   */
  admit(submission: Submission, options: RunOptions = {}): AdmittedCap {
    const admission = this.phases.verify.verify(submission);
    return this.place(admission.cap, options, admission);
  }

  /** `fromOutside`: the cap entered from outside (submit, runRoots, runChain), so a replay of it is answered from the window */
  private execute(cap: Cap, options: RunOptions, admitted: Admitted, fromOutside: boolean): Promise<ExecutionResult> {
    const placed = this.place(cap, options, admitted);
    return fromOutside ? this.complete(placed) : this.completeOnce(placed);
  }

  private place(cap: Cap, options: RunOptions, admitted: Admitted): AdmittedCap {
    const { phases } = this;
    if (phases.seal && admitted.seal.trust === 'unsealed') admitted = { ...admitted, seal: this.hashed(cap) };
    const at = this.stamp();
    const placed = phases.place.place(cap, options.hint ?? {});
    const laned = phases.distribute.distribute(cap, placed.causal_rank);
    const slot = phases.inject.inject(cap, laned.lane_id, placed.causal_rank);
    const aligned = phases.align.align(cap, laned.lane_id, slot.memory_slot);
    const details = { place: placed.details, distribute: laned.details, inject: slot.details, align: aligned.details };
    const evidence: PhaseEvidence[] = ADMITTING_PHASES.map((phase) => ({ phase, status: PHASE_STATUS[phase], details: details[phase], recorded_at: at }));
    const distributed: DistributedCap = {
      cap,
      causal_rank: placed.causal_rank,
      lane_id: laned.lane_id,
      lane_policy: laned.lane_policy,
      memory_slot: slot.memory_slot,
      alignment_group: aligned.alignment_group,
      evidence,
    };
    return { distributed, seal: admitted.seal, refused: admitted.refused ?? null, spawn: options.spawn ?? false };
  }

  /**
   * Schedules and executes an admitted cap once, then builds its receipt, usage and follow-ups.
   * A cap_id already in the replay window is answered with the first run's receipt (waiting for
   * it if it is still running), without executing or spawning again. A refused cap is never
   * remembered, so a forgery cannot take a genuine cap's id first. Caps built in this process
   * (`run`) and the bus's own follow-ups do not pass the window: only what enters from outside
   * can be a replay, and remembering every in-process cap would cost its throughput.
   */
  complete(admitted: AdmittedCap): Promise<ExecutionResult> {
    if (admitted.refused !== null) return this.completeOnce(admitted);
    const capId = admitted.distributed.cap.cap_id;
    const earlier = this.replays.recall(capId);
    if (earlier !== undefined) return earlier;
    const result = this.completeOnce(admitted);
    const replay = result.then(asReplay);
    // a run that failed (a bug, not a verdict) decided nothing: a retry of the cap may run it
    replay.catch(() => this.replays.forget(capId));
    this.replays.remember(capId, replay);
    return result;
  }

  private async completeOnce(admitted: AdmittedCap): Promise<ExecutionResult> {
    const { phases, context } = this;
    const { distributed } = admitted;
    const { cap, evidence } = distributed;

    // latency is the executor's own time, measured; time spent queued on the lane is not in it
    let latency_ms = 0;
    const verdict: ExecutorVerdict =
      admitted.refused !== null
        ? this.refuse(distributed, admitted.refused)
        : await phases.schedule.admit(distributed, async () => {
            const started = context.clock.monotonic();
            try {
              return await this.executor.execute(distributed, admitted.seal);
            } catch (error) {
              // one failing executor must not take the batch (or the bus) down with it
              return executorFailure(error);
            } finally {
              latency_ms = roundMicros(context.clock.monotonic() - started);
            }
          });

    const receipt = buildReceipt(distributed, verdict, `receipt_${context.ids.hex16()}`, this.stamp(), admitted.seal.content_hash);
    evidence.push({ phase: 'execute', status: receipt.outcome, details: receipt.payload, recorded_at: receipt.created_at });

    const sealedReceipt = phases.seal?.seal(receipt);
    const spawned = admitted.spawn
      ? followUpCaps(cap, { receipt_id: receipt.receipt_id, continuation_mode: receipt.continuation_mode, receipt_hash: sealedReceipt?.content_hash ?? null }, context)
      : [];
    const result: ExecutionResult = {
      distributed,
      receipt,
      usage_events: phases.project.project(distributed, receipt, { latency_ms, verified: admitted.seal.verified }),
      spawned_caps: spawned,
    };
    if (phases.seal) {
      result.seal = {
        cap: admitted.seal,
        receipt: sealedReceipt?.bytes ? { content_hash: sealedReceipt.content_hash, cose: toBase64(sealedReceipt.bytes) } : null,
        spawned: spawned.map((child) => this.busSealed(child)),
      };
    } else if (admitted.seal.trust === 'refused') {
      // a bus that does not seal still records that it refused the cap on entry (the exports say so)
      result.seal = { cap: admitted.seal, receipt: null, spawned: spawned.map(() => UNSEALED) };
    }
    phases.sink.store(result);
    return result;
  }

  /**
   * Breadth-first from one root: depth 0 is the root; follow-ups only while depth + 1 < maxHops.
   * Each follow-up is submitted the moment its parent's receipt exists (no barrier per depth),
   * so caps contend on their lanes as on a live bus; results still come back breadth-first.
   */
  async runChain(root: Root, maxHops: number, hint: CausalHint = {}): Promise<ExecutionResult[]> {
    return breadthFirst(await this.runTree((options) => this.enter(root, options), 0, maxHops, hint));
  }

  /** All roots are submitted at once, in order; results come back root by root, each chain breadth-first. */
  async runRoots(roots: readonly Root[], maxHops: number): Promise<ExecutionResult[]> {
    const trees = await Promise.all(roots.map((root) => this.runTree((options) => this.enter(root, options), 0, maxHops, {})));
    return trees.flatMap(breadthFirst);
  }

  private async runTree(start: (options: RunOptions) => Promise<ExecutionResult>, depth: number, maxHops: number, hint: CausalHint): Promise<ChainNode> {
    const result = await start({ spawn: depth + 1 < maxHops, hint });
    // the bus's own follow-ups are trusted as issued; their seals came with them
    // children carry their parent's rank, so they outrank it wherever they are placed
    const childHint = { lamport: result.distributed.causal_rank };
    const children = result.spawned_caps.map((cap, i) =>
      this.runTree((options) => this.execute(cap, options, { seal: result.seal?.spawned[i] ?? UNSEALED }, false), depth + 1, maxHops, childHint),
    );
    return { result, children: await Promise.all(children) };
  }

  private refuse(distributed: DistributedCap, reason: string): ExecutorVerdict {
    const verdict: ExecutorVerdict = { accepted: false, continuation_mode: 'reject', reason };
    this.phases.schedule.refused?.(distributed, verdict);
    return verdict;
  }

  /** A follow-up the bus issues: sealed with the bus key, so it can be verified wherever it runs. */
  private busSealed(cap: Cap): CapSeal {
    const sealed = this.phases.seal!.seal(cap);
    const cose = sealed.bytes === null ? null : toBase64(sealed.bytes);
    return { trust: 'bus', verified: true, content_hash: sealed.content_hash, kid: this.phases.seal!.publicKey, cose, cbor: null };
  }

  /** An unsealed cap on a sealing bus: not verified, but its content hash is pinned by the receipt. */
  private hashed(cap: Cap): CapSeal {
    const { bytes, content_hash } = this.phases.seal!.hash(cap);
    return { ...UNSEALED, content_hash, cbor: toBase64(bytes) };
  }

  /** ISO stamp of the clock, computed once per millisecond (stamping is on the hot path). */
  stamp(): string {
    const now = this.context.clock.now();
    if (now !== this.lastStampMs) {
      this.lastStampMs = now;
      this.lastStamp = isoTimestamp(now);
    }
    return this.lastStamp;
  }

}

/**
 * A chain starts from a cap object (checked as data, then trusted as `run`) or a submission
 * (checked, then verified as `submit`).
 */
export type Root = Cap | Submission;

interface ChainNode {
  result: ExecutionResult;
  children: ChainNode[];
}

function breadthFirst(root: ChainNode): ExecutionResult[] {
  const out: ExecutionResult[] = [];
  for (let level = [root]; level.length > 0; level = level.flatMap((node) => node.children)) {
    for (const node of level) out.push(node.result);
  }
  return out;
}

/** What a replay is answered with: the first run's cap and receipt; nothing executed, projected or spawned again. */
function asReplay(first: ExecutionResult): ExecutionResult {
  const replay: ExecutionResult = { distributed: first.distributed, receipt: first.receipt, usage_events: [], spawned_caps: [] };
  if (first.seal) replay.seal = { ...first.seal, spawned: [] };
  return replay;
}

const roundMicros = (ms: number) => Math.round(ms * 1000) / 1000;
