import { toBase64 } from '../bytes.js';
import type { Cap } from '../records/cap.js';
import { isoTimestamp, randomIds, systemClock, type Clock, type IdSource } from '../clock.js';
import { DEFAULT_CONFIG, type BusConfig } from '../config.js';
import { followUpCaps } from '../policy/continuation.js';
import { ADMITTING_PHASES, PHASE_STATUS, type PhaseEvidence } from '../records/evidence.js';
import { hookedExecutor, type BusHooks } from './hooks.js';
import type { Admission, CausalHint, Executor, ExecutorVerdict, PhaseContext, Phases, Sealer, Submission } from './phases.js';
import { UNSEALED, type CapSeal, type ResultSeal } from '../records/seal-facts.js';
import { buildReceipt, executorFailure } from '../records/receipt.js';
import type { AdmittedCap, DistributedCap, ExecutionResult } from '../records/result.js';
import { ReplayWindow } from '../replay-window.js';
import { checkRoot } from './roots.js';
import { standInCap } from '../records/stand-in.js';
import { Sequencer } from './sequencer.js';

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

  /** caps are placed in arrival order, also when their signatures are checked off this thread */
  private readonly arrivals = new Sequencer();
  /** results settle in the order their receipts were made, also when signed off this thread */
  private readonly settling = new Sequencer();
  /** caps between the lane and their result; with others in flight, Ed25519 goes off this thread */
  private running = 0;
  /** follow-up seals still being signed off this thread: the follow-up's result waits for its own */
  private readonly unsigned = new WeakMap<CapSeal, Promise<unknown>>();

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
  private enter(root: unknown, options: RunOptions, early?: Early): Promise<ExecutionResult> {
    return this.arrive(this.admission(root, this.inFlight > 0), options, true, early);
  }

  /** How far a root is trusted; `offload`: a sealed root's signature may be checked off this thread. */
  private admission(root: unknown, offload: boolean): Admission | Promise<Admission> {
    const checked = checkRoot(root);
    if (!checked.ok) {
      const refused = { ...UNSEALED, trust: 'refused' as const };
      return { cap: standInCap(checked.partial ?? {}, this.context), seal: refused, refused: `${checked.code}: ${checked.error}` };
    }
    if ('bare' in checked.root) return { cap: checked.root.bare, seal: UNSEALED };
    return this.verified(checked.root, offload);
  }

  /** Runs a cap built in this process (trusted caller, unsealed). Outside input goes through `submit`. */
  run(cap: Cap, options: RunOptions = {}): Promise<ExecutionResult> {
    return this.arrive({ cap, seal: UNSEALED }, options, false);
  }

  /**
   * The phases before the lane (verify, place, distribute, inject, align), in arrival order. What
   * it gives is plain data: a scaled-out worker hands it to the owner of the cap's partition,
   * which completes it.
   */
  admit(submission: Submission, options: RunOptions = {}): Promise<AdmittedCap> {
    return Promise.resolve(this.arrivals.pass(this.verified(submission, this.inFlight > 0), (admission) => this.place(admission, options)));
  }

  /**
   * The verify step: a sealed cap's signature off this thread when asked to (other caps are in
   * flight, so this thread has their work to do) and the phase can; otherwise here, at once.
   */
  private verified(submission: Submission, offload: boolean): Admission | Promise<Admission> {
    const { verify } = this.phases;
    return offload && verify.verifyOffloaded && 'sealed' in submission ? verify.verifyOffloaded(submission) : verify.verify(submission);
  }

  /** caps admitted or running and not yet answered */
  private get inFlight(): number {
    return this.arrivals.waiting + this.running;
  }

  /**
   * Places the cap once every earlier arrival is placed, then completes it. `fromOutside`: the
   * cap entered from outside (submit, runRoots, runChain), so a replay of it is answered from
   * the window.
   */
  private arrive(admission: Admission | Promise<Admission>, options: RunOptions, fromOutside: boolean, early?: Early): Promise<ExecutionResult> {
    return this.arrivals.pass(admission, (ready) => this.placeAndComplete(ready, options, fromOutside, early));
  }

  private placeAndComplete(admission: Admission, options: RunOptions, fromOutside: boolean, early?: Early): Promise<ExecutionResult> {
    const placed = this.place(admission, options);
    return fromOutside ? this.complete(placed, early) : this.completeOnce(placed, early);
  }

  private place(admission: Admission, options: RunOptions): AdmittedCap {
    const { phases } = this;
    const { cap } = admission;
    const seal = phases.seal && admission.seal.trust === 'unsealed' ? this.hashed(cap) : admission.seal;
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
    return { distributed, seal, refused: admission.refused ?? null, spawn: options.spawn ?? false };
  }

  /**
   * Schedules and executes an admitted cap once, then builds its receipt, usage and follow-ups.
   * A cap_id already in the replay window is answered with the first run's receipt (waiting for
   * it if it is still running), without executing or spawning again. A refused cap is never
   * remembered, so a forgery cannot take a genuine cap's id first. Caps built in this process
   * (`run`) and the bus's own follow-ups do not pass the window: only what enters from outside
   * can be a replay, and remembering every in-process cap would cost its throughput.
   */
  complete(admitted: AdmittedCap, early?: Early): Promise<ExecutionResult> {
    if (admitted.refused !== null) return this.completeOnce(admitted, early);
    const capId = admitted.distributed.cap.cap_id;
    const earlier = this.replays.recall(capId);
    if (earlier !== undefined) return earlier;
    const result = this.completeOnce(admitted, early);
    const replay = result.then(asReplay);
    // a run that failed (a bug, not a verdict) decided nothing: a retry of the cap may run it
    replay.catch(() => this.replays.forget(capId));
    this.replays.remember(capId, replay);
    return result;
  }

  private async completeOnce(admitted: AdmittedCap, early?: Early): Promise<ExecutionResult> {
    const { phases, context } = this;
    const { distributed } = admitted;
    this.running++;
    try {
      // latency is the executor's own time, measured; time spent queued on the lane is not in it
      let latency_ms = 0;
      // a refused cap settles without a pause: lanes see the same moments as on a bus without a pool
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
      const settled = this.settle(admitted, verdict, latency_ms, early);
      return settled instanceof Promise ? await settled : settled;
    } finally {
      this.running--;
    }
  }

  /**
   * The receipt, its usage and follow-ups, sealed: off this thread while other caps are in
   * flight. Ids, hashes and links are all made here, in this order, whichever thread signs.
   */
  private settle(admitted: AdmittedCap, verdict: ExecutorVerdict, latency_ms: number, early?: Early): ExecutionResult | Promise<ExecutionResult> {
    const { phases, context } = this;
    const { distributed } = admitted;
    const { cap, evidence } = distributed;
    const receipt = buildReceipt(distributed, verdict, `receipt_${context.ids.hex16()}`, this.stamp(), admitted.seal.content_hash);
    evidence.push({ phase: 'execute', status: receipt.outcome, details: receipt.payload, recorded_at: receipt.created_at });

    const sealer = phases.seal;
    const sealOf = sealer && sealing(sealer, this.inFlight > 1);
    const receiptSeal = sealOf?.(receipt);
    const spawned = admitted.spawn
      ? followUpCaps(cap, { receipt_id: receipt.receipt_id, continuation_mode: receipt.continuation_mode, receipt_hash: receiptSeal?.content_hash ?? null }, context)
      : [];
    const spawnedSeals = sealOf ? spawned.map(sealOf) : [];
    const result: ExecutionResult = {
      distributed,
      receipt,
      usage_events: phases.project.project(distributed, receipt, { latency_ms, verified: admitted.seal.verified }),
      spawned_caps: spawned,
    };
    if (!receiptSeal && admitted.seal.trust === 'refused') {
      // a bus that does not seal still records that it refused the cap on entry (the exports say so)
      result.seal = { cap: admitted.seal, receipt: null, spawned: spawned.map(() => UNSEALED) };
    }
    let signing: SealBytes[] | Promise<SealBytes[]> = [];
    if (receiptSeal) {
      // the seals' facts are known now; their COSE bytes once signed (at once on this thread)
      const seals: ResultSeal = {
        cap: admitted.seal,
        receipt: { content_hash: receiptSeal.content_hash, cose: '' },
        spawned: spawnedSeals.map((one) => this.busSealed(one.content_hash)),
      };
      result.seal = seals;
      const ours = allOf([receiptSeal.bytes, ...spawnedSeals.map((one) => one.bytes)]);
      // a cap issued by this bus waits for its own seal too, when that was signed off this thread
      const own = this.unsigned.get(admitted.seal);
      signing = own ? Promise.all([ours, own]).then(([bytes]) => bytes) : ours;
      if (signing instanceof Promise) {
        const signed = signing.then(([receiptBytes, ...spawnedBytes]) => fillSeals(seals, receiptBytes ?? null, spawnedBytes));
        // a failure reaches this cap's result through `settled`; its follow-ups wait on `signed`
        signed.catch(() => {});
        for (const seal of seals.spawned) this.unsigned.set(seal, signed);
      } else {
        fillSeals(seals, signing[0] ?? null, signing.slice(1));
      }
    }
    const settled = this.settling.pass(signing, () => {
      phases.sink.store(result);
      return result;
    });
    // the receipt exists now: a chain starts its follow-ups at this moment whichever thread signs,
    // so ranks and the lanes' moments are those of a bus that signs here
    early?.(result, !(settled instanceof Promise));
    return settled;
  }

  /**
   * Breadth-first from one root: depth 0 is the root; follow-ups only while depth + 1 < maxHops.
   * Each follow-up is submitted the moment its parent's receipt exists (no barrier per depth),
   * so caps contend on their lanes as on a live bus; results still come back breadth-first.
   */
  async runChain(root: Root, maxHops: number, hint: CausalHint = {}): Promise<ExecutionResult[]> {
    const receipt = receiptMade();
    return this.chainOf(receipt, this.enter(root, { spawn: 1 < maxHops, hint }, receipt.tell), maxHops);
  }

  /** All roots are submitted at once, in order; results come back root by root, each chain breadth-first. */
  async runRoots(roots: readonly Root[], maxHops: number): Promise<ExecutionResult[]> {
    return (await Promise.all(this.startChains(roots, maxHops))).flat();
  }

  /**
   * Starts one chain per root, the roots arriving together: their signatures are checked first
   * (off this thread where the phase can), then all are placed in one step, in order, as on a
   * bus that checks them here. Each promise gives its root's chain breadth-first.
   */
  startChains(roots: readonly Root[], maxHops: number): Promise<ExecutionResult[]>[] {
    const options = { spawn: 1 < maxHops };
    const offload = roots.length > 1 || this.inFlight > 0;
    const admissions = roots.map((root) => this.admission(root, offload));
    const receipts = roots.map(receiptMade);
    const firsts = this.arrivals.pass(allOf(admissions), (ready) => ready.map((admission, i) => this.placeAndComplete(admission, options, true, receipts[i]!.tell)));
    const firstOf = (i: number) => (firsts instanceof Promise ? firsts.then((all) => all[i]!) : firsts[i]!);
    return roots.map((_, i) => this.chainOf(receipts[i]!, firstOf(i), maxHops));
  }

  private async chainOf(receipt: ReceiptMade, final: Promise<ExecutionResult>, maxHops: number): Promise<ExecutionResult[]> {
    return breadthFirst(await this.grow(receipt, final, 0, maxHops));
  }

  /**
   * A chain node: its follow-ups are submitted the moment its receipt exists (`made`; its seals
   * may still be being signed off this thread, as `final` settles once they are), so caps contend
   * on their lanes as on a live bus, at the same moments as on a bus that signs on its own thread.
   */
  private async grow(receipt: ReceiptMade, final: Promise<ExecutionResult>, depth: number, maxHops: number): Promise<ChainNode> {
    // a cap answered from the replay window makes no receipt here: its first result stands in
    final.then((first) => receipt.tell(first, true), receipt.fail);
    const { result, sealed } = await receipt.made;
    // the bus's own follow-ups are trusted as issued; their seals came with them
    // children carry their parent's rank, so they outrank it wherever they are placed
    const options = { spawn: depth + 2 < maxHops, hint: { lamport: result.distributed.causal_rank } };
    const children = result.spawned_caps.map((cap, i) => {
      const made = receiptMade();
      return this.grow(made, this.arrive({ cap, seal: result.seal?.spawned[i] ?? UNSEALED }, options, false, made.tell), depth + 1, maxHops);
    });
    return { result: sealed ? result : await final, children: await Promise.all(children) };
  }

  private refuse(distributed: DistributedCap, reason: string): ExecutorVerdict {
    const verdict: ExecutorVerdict = { accepted: false, continuation_mode: 'reject', reason };
    this.phases.schedule.refused?.(distributed, verdict);
    return verdict;
  }

  /** A follow-up the bus issues: sealed with the bus key, so it can be verified wherever it runs (its COSE once signed). */
  private busSealed(content_hash: string): CapSeal {
    return { trust: 'bus', verified: true, content_hash, kid: this.phases.seal!.publicKey, cose: null, cbor: null };
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

type SealBytes = Uint8Array | null;

/** Told a result as soon as its receipt and follow-ups exist; `sealed`: its seals are signed and it is stored. */
type Early = (result: ExecutionResult, sealed: boolean) => void;

interface Made {
  result: ExecutionResult;
  sealed: boolean;
}

/** When a chain node's receipt is made: told by the bus (`tell`), or failed with its run. */
interface ReceiptMade {
  made: Promise<Made>;
  tell: Early;
  fail: (error: unknown) => void;
}

function receiptMade(): ReceiptMade {
  let tell!: Early;
  let fail!: (error: unknown) => void;
  const made = new Promise<Made>((resolve, reject) => {
    tell = (result, sealed) => resolve({ result, sealed });
    fail = reject;
  });
  return { made, tell, fail };
}

/** Puts the signed COSE bytes into a result's seal facts (a receipt with none is only hashed). */
function fillSeals(seals: ResultSeal, receiptBytes: SealBytes, spawnedBytes: readonly SealBytes[]): void {
  if (receiptBytes === null) seals.receipt = null;
  else seals.receipt!.cose = toBase64(receiptBytes);
  seals.spawned.forEach((seal, i) => {
    const bytes = spawnedBytes[i];
    if (bytes) seal.cose = toBase64(bytes);
  });
}

/** How a record is sealed: here and now, or with its signature made off this thread. */
function sealing(sealer: Sealer, offload: boolean): (record: Record<string, unknown>) => { content_hash: string; bytes: SealBytes | Promise<SealBytes> } {
  const offloaded = offload ? sealer.sealOffloaded : undefined;
  return offloaded ? (record) => offloaded.call(sealer, record) : (record) => sealer.seal(record);
}

/** Every value, at once when none is pending (the synchronous path makes no promise). */
function allOf<T>(values: readonly (T | Promise<T>)[]): T[] | Promise<T[]> {
  return values.some((value) => value instanceof Promise) ? Promise.all(values) : (values as T[]);
}
