import type { Cap } from './cap.js';
import { isoTimestamp, randomIds, systemClock, type Clock, type IdSource } from './clock.js';
import { DEFAULT_CONFIG, type BusConfig } from './config.js';
import { followUpCaps } from './continuation.js';
import type { PhaseEvidence } from './evidence.js';
import type { CausalHint, Details, PhaseContext, Phases } from './phases.js';
import { buildReceipt } from './receipt.js';
import type { DistributedCap, ExecutionResult } from './result.js';

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

  constructor(
    readonly phases: Phases,
    readonly context: PhaseContext = busContext(),
  ) {}

  async run(cap: Cap, options: RunOptions = {}): Promise<ExecutionResult> {
    const { phases, context } = this;
    const placed = phases.place.place(cap, options.hint ?? {});
    const evidence: PhaseEvidence[] = [this.evidence('place', 'placed', placed.details)];
    const laned = phases.distribute.distribute(cap, placed.causal_rank);
    evidence.push(this.evidence('distribute', 'lane-assigned', laned.details));
    const slot = phases.inject.inject(cap, laned.lane_id, placed.causal_rank);
    evidence.push(this.evidence('inject', 'slot-populated', slot.details));
    const aligned = phases.align.align(cap, laned.lane_id, slot.memory_slot);
    evidence.push(this.evidence('align', 'aligned', aligned.details));

    const distributed: DistributedCap = {
      cap,
      causal_rank: placed.causal_rank,
      lane_id: laned.lane_id,
      lane_policy: laned.lane_policy,
      memory_slot: slot.memory_slot,
      alignment_group: aligned.alignment_group,
      evidence,
    };

    // latency is the executor's own time, measured; time spent queued on the lane is not in it
    let latency_ms = 0;
    const verdict = await phases.schedule.admit(distributed, async () => {
      const started = context.clock.monotonic();
      try {
        return await phases.execute.execute(distributed);
      } finally {
        latency_ms = roundMicros(context.clock.monotonic() - started);
      }
    });

    const receipt = buildReceipt(distributed, verdict, `receipt_${context.ids.hex16()}`, this.stamp());
    evidence.push(this.evidence('execute', receipt.outcome, receipt.payload));

    const result: ExecutionResult = {
      distributed,
      receipt,
      usage_events: phases.project.project(distributed, receipt, { latency_ms, verified: false }),
      spawned_caps: options.spawn ? followUpCaps(cap, receipt, context) : [],
    };
    phases.sink.store(result);
    return result;
  }

  /**
   * Breadth-first from one root: depth 0 is the root; follow-ups only while depth + 1 < maxHops.
   * Each follow-up is submitted the moment its parent's receipt exists (no barrier per depth),
   * so caps contend on their lanes as on a live bus; results still come back breadth-first.
   */
  async runChain(root: Cap, maxHops: number, hint: CausalHint = {}): Promise<ExecutionResult[]> {
    return breadthFirst(await this.runTree(root, 0, maxHops, hint));
  }

  /** All roots are submitted at once, in order; results come back root by root, each chain breadth-first. */
  async runRoots(roots: readonly Cap[], maxHops: number): Promise<ExecutionResult[]> {
    const trees = await Promise.all(roots.map((root) => this.runTree(root, 0, maxHops, {})));
    return trees.flatMap(breadthFirst);
  }

  private async runTree(cap: Cap, depth: number, maxHops: number, hint: CausalHint): Promise<ChainNode> {
    const result = await this.run(cap, { spawn: depth + 1 < maxHops, hint });
    const children = result.spawned_caps.length === 0 ? [] : await Promise.all(result.spawned_caps.map((child) => this.runTree(child, depth + 1, maxHops, {})));
    return { result, children };
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

  private evidence(phase: PhaseEvidence['phase'], status: string, details: Details): PhaseEvidence {
    return { phase, status, details, recorded_at: this.stamp() };
  }
}

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

const roundMicros = (ms: number) => Math.round(ms * 1000) / 1000;
