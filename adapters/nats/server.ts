import { hostname } from 'node:os';
import type { NatsConnection } from 'nats';
import type { Cap } from '../../src/records/cap.js';
import { randomIds } from '../../src/clock.js';
import type { GatewayEvent } from '../../src/exports/gateway-event.js';
import { DEFAULT_PARTITIONS, MAX_PARTITIONS } from '../../src/partition.js';
import type { Aligner } from '../../src/pipeline/phases.js';
import type { BusHooks, ExecuteHook } from '../../src/pipeline/hooks.js';
import type { CapBus } from '../../src/pipeline/pipeline.js';
import { createMemoryBus, LocalAligner, PartitionedAligner, type MemoryBusOptions } from '../memory/index.js';
import type { TwinStore } from '../twin-guard/index.js';
import { connectNats, type NatsConnectOptions } from './connection.js';
import { CoreMode } from './core-mode.js';
import { DurableMode, type DurableOptions } from './durable-mode.js';
import { HOP_LIMIT } from './headers.js';
import { DEFAULT_LEASE_MS, PartitionLeases } from './leases.js';
import { stderrLogger, type Logger } from './log.js';
import type { WorkerObserver } from './observer.js';
import { LocalRouter, PartitionRouter } from './router.js';
import { DEFAULT_QUEUE, subjectsFor, type Subjects } from './subjects.js';
import { KvTwinStore } from './twin-store.js';
import { describe, WorkerIo, type Mode, type Router, type WorkerSettings } from './worker.js';

export { DEFAULT_CONSUMER, DEFAULT_STREAM, type DurableOptions } from './durable-mode.js';
export const DEFAULT_MAX_BYTES = 1_048_576;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** What the worker plugs into the bus it runs on, when the bus is built. */
export interface WorkerParts {
  /** wrap execution (the durable in-doubt guard, onExecute) */
  hooks: BusHooks;
  /** the align phase: partitioned, so the evidence names each cap's partition */
  align: Aligner;
  /** deployment-wide twin states (KV `<prefix>-twin`) when partitioned; null: the guard keeps its own */
  twinStore: TwinStore | null;
}

/** A worker's bus from the in-memory phases: the worker's parts plugged in, its hooks outside any given here. */
export function memoryBus(options: MemoryBusOptions = {}): (parts: WorkerParts) => CapBus {
  return (parts) =>
    createMemoryBus({
      ...options,
      hooks: { execute: [...(parts.hooks.execute ?? []), ...(options.hooks?.execute ?? [])] },
      phases: { align: parts.align, ...options.phases },
    });
}

export interface WorkerOptions extends NatsConnectOptions {
  /** builds the bus the caps run on, with the worker's parts plugged in */
  bus: (parts: WorkerParts) => CapBus;
  prefix?: string;
  queue?: string;
  /** Tibet-Max-Hops for caps that carry none */
  maxHops?: number;
  /** largest message body accepted */
  maxBytes?: number;
  /** durable mode: JetStream stream, durable pull consumer, receipts in KV before the ack */
  jetstream?: boolean | DurableOptions;
  /**
   * partitions of the deployment (product.md §7), the same on every worker (default 16); 0: none,
   * each worker schedules the caps it takes on lanes of its own (lane limits then hold per worker)
   */
  partitions?: number;
  /** how long a partition stays with a worker that stopped renewing it (default 5000) */
  leaseMs?: number;
  /** how long stop() may take before the connection is closed regardless (default 10000) */
  stopTimeoutMs?: number;
  log?: Logger;
  onGatewayEvent?: (event: GatewayEvent) => void;
  /** called as a cap starts executing (audit trails, tests that count executions) */
  onExecute?: (cap: Cap) => void;
  /** told of every settled cap and every refusal (service stats, metrics, the console) */
  observer?: WorkerObserver;
}

export interface Worker {
  readonly id: string;
  readonly subjects: Subjects;
  /** the partitions this worker owns now, ascending (empty when unpartitioned) */
  owned(): number[];
  /**
   * whether it has held its first share of partitions: its fair share, or what it could get when
   * the others hold the rest and none is above its own share (always true when unpartitioned)
   */
  hasFirstShare(): boolean;
  /** graceful: stop taking caps, finish those in flight, let partitions go, drain; bounded by stopTimeoutMs */
  stop(): Promise<void>;
  /** resolves when the connection is closed, by stop() or for good */
  readonly closed: Promise<void>;
  /** the worker's connection, for adapters that serve beside it (service discovery, health) */
  readonly connection: NatsConnection;
}

/** What needs JetStream, and the other way out when the server has none. */
const JETSTREAM_USES = {
  partitions: ['partitioned workers keep their leases and twin states in JetStream KV', 'serve with --partitions 0'],
  durable: ['durable mode (--jetstream) keeps caps in a JetStream stream and receipts in JetStream KV', 'serve without --jetstream'],
} as const;

/** Runs a first JetStream step; when the server has no JetStream, says what needs it and how to go on. */
async function needsJetStream<T>(use: keyof typeof JETSTREAM_USES, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    const text = describe(error);
    if (!/jetstream not enabled|503/i.test(text)) throw error;
    const [what, otherwise] = JETSTREAM_USES[use];
    throw new Error(`${what}, and this NATS server has no JetStream (${text}): start nats-server with -js, or ${otherwise}`);
  }
}

/** KV bucket names are A-Z a-z 0-9 - _: the prefix's dots become underscores (`capbus` gives `capbus-partitions`). */
export const bucketFor = (prefix: string, what: 'partitions' | 'twin') => `${prefix.replace(/\./g, '_')}-${what}`;

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

/**
 * Connects and starts serving caps; resolves (and logs "ready") once subscribed, after its first
 * round of partition claims; it may hold its first share only later (`hasFirstShare`), when others
 * had to hand partitions back first.
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const maxHops = checkInteger('maxHops', options.maxHops ?? 1, 1, HOP_LIMIT);
  const maxBytes = checkInteger('maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES, 1, Number.MAX_SAFE_INTEGER);
  const partitions = checkInteger('partitions', options.partitions ?? DEFAULT_PARTITIONS, 0, MAX_PARTITIONS);
  const leaseMs = checkInteger('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS, 100, 600_000);
  const stopTimeoutMs = checkInteger('stopTimeoutMs', options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, 0, 3_600_000);
  const subjects = subjectsFor(options.prefix);
  const log = options.log ?? stderrLogger;
  const id = `${hostname()}:${process.pid}:${randomIds().hex16().slice(0, 8)}`;
  const settings: WorkerSettings = { id, subjects, maxHops, maxBytes, queue: options.queue ?? DEFAULT_QUEUE };
  // Workers outlive server restarts: reconnect for ever, quickly.
  const nc = await connectNats({ ...options, name: options.name ?? `capbus-worker ${id}` }, { maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  const worker = new RunningWorker(nc, settings, log, stopTimeoutMs);
  try {
    await worker.start(options, partitions, leaseMs);
  } catch (error) {
    await nc.close();
    throw error;
  }
  return worker;
}

class RunningWorker implements Worker {
  readonly id: string;
  readonly subjects: Subjects;
  readonly closed: Promise<void>;
  private io!: WorkerIo;
  private mode!: Mode;
  private router: Router | null = null;
  private partitionRouter: PartitionRouter | null = null;
  private leases: PartitionLeases | null = null;
  private stopping: Promise<void> | null = null;
  /** a worker that never got ready says why on its way out, not "stopped" */
  private ready = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly settings: WorkerSettings,
    private readonly log: Logger,
    private readonly stopTimeoutMs: number,
  ) {
    this.id = settings.id;
    this.subjects = settings.subjects;
    this.closed = nc.closed().then((error) => {
      if (this.ready) log({ level: error ? 'error' : 'info', msg: 'stopped', worker: this.id, ...(error ? { error: error.message } : {}) });
    });
    void this.watchConnection();
  }

  async start(options: WorkerOptions, partitions: number, leaseMs: number): Promise<void> {
    const { nc, settings, log } = this;
    const durable = options.jetstream ? new DurableMode(() => this.io, options.jetstream === true ? {} : options.jetstream, () => this.router!) : null;
    const onExecute = options.onExecute;
    const reportExecution: ExecuteHook = (next) => ({
      execute(distributed, seal) {
        onExecute?.(distributed.cap);
        return next.execute(distributed, seal);
      },
    });
    // in-doubt outermost: a cap in doubt is not run, so it is not reported as executing either
    const hooks: BusHooks = { execute: [...(durable ? [durable.inDoubtHook] : []), ...(onExecute ? [reportExecution] : [])] };
    const twinStore = partitions > 0 ? await needsJetStream('partitions', () => KvTwinStore.open(nc.jetstream(), bucketFor(settings.subjects.prefix, 'twin'))) : null;
    const bus = options.bus({ hooks, twinStore, align: partitions > 0 ? new PartitionedAligner(partitions) : new LocalAligner() });
    this.io = new WorkerIo(nc, bus, settings, log, options.onGatewayEvent, options.observer);
    this.mode = durable ?? new CoreMode(this.io, () => this.router!);
    const run = (arrival: Parameters<Mode['run']>[0]) => this.mode.run(arrival);
    if (partitions === 0) {
      this.router = new LocalRouter(this.io, run);
    } else {
      const router = new PartitionRouter(this.io, partitions, run);
      this.router = this.partitionRouter = router;
      this.leases = await PartitionLeases.open(nc.jetstream(), {
        bucket: bucketFor(settings.subjects.prefix, 'partitions'),
        partitions,
        leaseMs,
        workerId: this.id,
        log,
        gained: (p) => router.serve(p),
        losing: (p) => router.unserve(p),
      });
      router.serving = (p) => this.leases!.serving(p);
      if (durable) durable.claimerAlive = (workerId) => this.leases!.alive(workerId);
    }
    const described = durable ? await needsJetStream('durable', () => durable.start()) : await this.mode.start();
    this.ready = true;
    log({
      level: 'info',
      msg: 'ready',
      worker: this.id,
      servers: this.servers(options),
      ...described,
      partitions,
      ...(partitions > 0 ? { lease_ms: leaseMs, owned: this.owned() } : {}),
      max_hops: settings.maxHops,
      max_bytes: settings.maxBytes,
      bus_key: bus.phases.seal?.publicKey ?? null,
    });
  }

  owned(): number[] {
    return this.leases?.owned() ?? [];
  }

  hasFirstShare(): boolean {
    return this.leases?.hasFirstShare() ?? true;
  }

  get connection(): NatsConnection {
    return this.nc;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log({ level: 'info', msg: 'draining', worker: this.id, in_flight: this.io.busy, stop_timeout_ms: this.stopTimeoutMs });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<'late'>((done) => (timer = setTimeout(() => done('late'), this.stopTimeoutMs)));
      const outcome = await Promise.race([this.drain().then(() => 'done' as const), late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        this.log({ level: 'warn', msg: 'stop timed out; closing without waiting', worker: this.id, in_flight: this.io.busy, stop_timeout_ms: this.stopTimeoutMs });
        this.leases?.abandon();
        this.partitionRouter?.stopWaiting();
        await this.nc.close().catch(() => {});
      }
      await this.closed;
    })();
    return this.stopping;
  }

  /** Intake first, then what was taken (hand-offs still wait for owners), then the partitions, then the connection. */
  private async drain(): Promise<void> {
    try {
      await this.mode.stopIntake();
      await this.io.settled();
      await this.leases?.stop();
      this.partitionRouter?.stopWaiting();
      await this.io.settled();
      if (!this.nc.isClosed()) await this.nc.drain();
    } catch (error) {
      this.log({ level: 'warn', msg: 'drain failed; closing', worker: this.id, error: describe(error) });
      await this.nc.close().catch(() => {});
    }
  }

  private servers(options: WorkerOptions): string[] {
    const servers = options.servers;
    return typeof servers === 'string' ? [servers] : [...servers];
  }

  /** Logs disconnects and reconnects, so an operator sees why caps paused. */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        this.log({ level: status.type === 'reconnect' ? 'info' : 'warn', msg: `nats ${status.type}`, data: String(status.data), worker: this.id });
      }
    }
  }
}
