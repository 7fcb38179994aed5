import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExecutionResult } from '../../src/records/result.js';
import type { WorkerObserver } from '../nats/observer.js';
import type { RefusalCode } from '../nats/refusal.js';
import type { BusView } from './bus-view.js';

/** Seconds: executors range from microseconds (echo) to seconds (real work). */
const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];

/**
 * The worker's Prometheus metrics (text format via prom-client), named by Prometheus conventions:
 * counters end in `_total`, durations are `_seconds`. Lane gauges are read from the lane mux at
 * scrape time; everything else is counted as caps settle.
 */
export class BusMetrics implements WorkerObserver {
  readonly registry = new Registry();
  private readonly caps: Counter<'outcome' | 'lane_class'>;
  private readonly refusals: Counter<'code'>;
  private readonly execution: Histogram<'lane_class'>;
  private readonly processing: Histogram;
  private readonly reconnects: Counter;
  private readonly twin: Counter<'decision'>;

  constructor(view: Pick<BusView, 'laneLoad'>) {
    const registers = [this.registry];
    this.caps = new Counter({ name: 'capbus_caps_total', help: 'Caps settled by this worker, by receipt outcome and lane class', labelNames: ['outcome', 'lane_class'], registers });
    this.refusals = new Counter({ name: 'capbus_refusals_total', help: 'Messages the transport refused before the bus saw them, by Tibet-Error code', labelNames: ['code'], registers });
    this.execution = new Histogram({ name: 'capbus_execution_duration_seconds', help: "Executor time per cap (the lane's queueing excluded)", labelNames: ['lane_class'], buckets: LATENCY_BUCKETS, registers });
    this.processing = new Histogram({ name: 'capbus_processing_duration_seconds', help: 'Time from taking a cap message up to sending its receipt', buckets: LATENCY_BUCKETS, registers });
    this.reconnects = new Counter({ name: 'capbus_nats_reconnects_total', help: 'Reconnections of the worker to NATS', registers });
    this.twin = new Counter({ name: 'capbus_twin_guard_decisions_total', help: 'Twin sync guard decisions on guarded caps, allowed or blocked', labelNames: ['decision'], registers });
    const load = (pick: 'running' | 'queued') =>
      function (this: Gauge<'lane_id'>) {
        // idle lanes are forgotten by the mux; so are their series here
        this.reset();
        for (const lane of view.laneLoad()) this.set({ lane_id: lane.lane_id }, lane[pick]);
      };
    new Gauge({ name: 'capbus_lane_running_caps', help: 'Caps running on a lane now (at most its burst limit)', labelNames: ['lane_id'], registers, collect: load('running') });
    new Gauge({ name: 'capbus_lane_queued_caps', help: 'Caps waiting on a lane now', labelNames: ['lane_id'], registers, collect: load('queued') });
    collectDefaultMetrics({ register: this.registry, prefix: 'capbus_' });
  }

  settled(result: ExecutionResult, processingMs: number): void {
    const laneClass = result.distributed.lane_policy.lane_class;
    this.caps.inc({ outcome: result.receipt.outcome, lane_class: laneClass });
    this.processing.observe(processingMs / 1000);
    const executed = result.usage_events.find((event) => event.event_type === 'cap-executed');
    if (executed && result.receipt.payload.accepted !== false) this.execution.observe({ lane_class: laneClass }, executed.latency_ms / 1000);
    const decision = result.receipt.payload.twin_decision as { allowed?: unknown } | undefined;
    if (typeof decision?.allowed === 'boolean') this.twin.inc({ decision: decision.allowed ? 'allowed' : 'blocked' });
  }

  refused(code: RefusalCode): void {
    this.refusals.inc({ code });
  }

  reconnected(): void {
    this.reconnects.inc();
  }
}
