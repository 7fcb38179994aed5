import { cbomDocument } from '../../src/exports/cbom.js';
import { chainGraph, toSvg } from '../../src/exports/chain-graph.js';
import type { LanePolicy } from '../../src/policy/lane.js';
import type { ExecutionResult } from '../../src/records/result.js';
import type { ScheduleTraceRecord } from '../mux/trace.js';
import type { WorkerObserver } from '../nats/observer.js';
import type { BusView } from './bus-view.js';
import type { WorkerStats, WorkerStatsSnapshot } from './worker-stats.js';

/** How much history the console keeps: enough to read, bounded so a long-running worker does not grow. */
const KEEP = { decisions: 25, results: 40, lanes: 200 } as const;

export interface LaneRow {
  lane_id: string;
  lane_class: string;
  priority: number;
  burst_limit: number;
  lane_collision_policy: string;
  coffee_lane_policy: string;
  running: number;
  queued: number;
}

export interface TwinRow {
  device_id: string;
  last_decision: { intent: string; allowed: boolean; reason: string; checked_at: string } | null;
}

/** What the live console shows; sent whole on every change (it is small). */
export interface ConsoleState {
  worker: string | null;
  connected: boolean;
  stats: WorkerStatsSnapshot;
  lanes: LaneRow[];
  decisions: ScheduleTraceRecord[];
  twins: TwinRow[] | null;
  /** the recent chains, drawn by the graph module (SVG markup; every text in it is escaped) */
  chains_svg: string;
  chain_caps: number;
}

/**
 * Collects what the console shows from the worker (settled caps), the lane mux (trace records,
 * load) and the twin guard, and tells listeners when it changed.
 */
export class ConsoleFeed implements WorkerObserver {
  private readonly lanes = new Map<string, LanePolicy>();
  private readonly decisions: ScheduleTraceRecord[] = [];
  private readonly results: ExecutionResult[] = [];
  private readonly twinDecisions = new Map<string, NonNullable<TwinRow['last_decision']>>();
  private readonly listeners = new Set<() => void>();
  private chains: { svg: string; caps: number } | null = null;

  constructor(
    private readonly view: BusView,
    private readonly stats: WorkerStats,
    private readonly identity: () => { worker: string | null; connected: boolean },
  ) {
    view.onTrace((record) => {
      push(this.decisions, record, KEEP.decisions);
      this.changed();
    });
  }

  settled(result: ExecutionResult): void {
    const { lane_id, lane_policy } = result.distributed;
    this.lanes.delete(lane_id); // re-inserted last: most recently used lanes are kept
    this.lanes.set(lane_id, lane_policy);
    if (this.lanes.size > KEEP.lanes) this.lanes.delete(this.lanes.keys().next().value!);
    const decision = result.receipt.payload.twin_decision as { device_id: string; intent: string; allowed: boolean; reason: string; checked_at: string } | undefined;
    if (decision) this.twinDecisions.set(decision.device_id, { intent: decision.intent, allowed: decision.allowed, reason: decision.reason, checked_at: decision.checked_at });
    push(this.results, result, KEEP.results);
    this.chains = null;
    this.changed();
  }

  refused(): void {
    this.changed();
  }

  /** Called (without arguments) after every change; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(): ConsoleState {
    const load = new Map(this.view.laneLoad().map((l) => [l.lane_id, l]));
    const lanes = [...this.lanes].map(([lane_id, p]) => ({
      lane_id,
      lane_class: p.lane_class,
      priority: p.priority,
      burst_limit: p.burst_limit,
      lane_collision_policy: p.lane_collision_policy,
      coffee_lane_policy: p.coffee_lane_policy,
      running: load.get(lane_id)?.running ?? 0,
      queued: load.get(lane_id)?.queued ?? 0,
    }));
    lanes.sort((a, b) => b.priority - a.priority || a.lane_id.localeCompare(b.lane_id));
    // drawn once per change, not once per viewer
    this.chains ??= { svg: toSvg(chainGraph(cbomDocument(this.results).cbom.documents)), caps: this.results.length };
    const twin = this.view.twin;
    return {
      ...this.identity(),
      stats: this.stats.snapshot(),
      lanes,
      decisions: [...this.decisions].reverse(),
      twins: twin && twin.registeredDevices().map((d) => ({ device_id: d.device_id, last_decision: this.twinDecisions.get(d.device_id) ?? null })),
      chains_svg: this.chains.svg,
      chain_caps: this.chains.caps,
    };
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

function push<T>(list: T[], item: T, keep: number): void {
  list.push(item);
  if (list.length > keep) list.splice(0, list.length - keep);
}
