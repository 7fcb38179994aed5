import type { Service } from 'nats';
import type { Logger } from '../nats/log.js';
import { observers, type WorkerObserver } from '../nats/observer.js';
import type { Worker } from '../nats/server.js';
import { serveCapbusService } from '../nats/service.js';
import { NO_VIEW, type BusView } from './bus-view.js';
import { ConsoleFeed } from './console-feed.js';
import { startOpsServer, type OpsServer } from './http.js';
import { BusMetrics } from './metrics.js';
import { UNPARTITIONED, WorkerStats, type PartitionProvider } from './worker-stats.js';

/** Operating a worker (product.md §8): NATS service discovery always, HTTP health, metrics and console on request. */

export { startOpsServer, type Health, type OpsServer, type OpsServerOptions } from './http.js';
export { parseListenAddress } from './listen-address.js';
export { BusMetrics } from './metrics.js';
export { ConsoleFeed, type ConsoleState } from './console-feed.js';
export { CONSOLE_PAGE } from './console-page.js';
export { UNPARTITIONED, WorkerStats, type OwnedPartitions, type PartitionProvider, type WorkerStatsSnapshot } from './worker-stats.js';
export { mergeViews, NO_VIEW, type BusView } from './bus-view.js';

export interface OperationsOptions {
  /** where to serve /healthz, /readyz, /metrics and the console; none: no HTTP */
  http?: { host: string; port: number };
  partitions?: PartitionProvider;
  log: Logger;
}

export interface Operations {
  /** pass to startWorker as `observer` */
  readonly observer: WorkerObserver;
  /** the bus's insides (lane load, trace, twin guard), once it is composed; until then lanes and twins are empty */
  watch(view: BusView): void;
  /** once the worker serves: registers NATS service `capbus`, watches the connection, turns ready */
  attach(worker: Worker, settings: { queue: string; mode: 'core' | 'jetstream' }): Promise<void>;
  /** not ready any more (draining); health stays as the connection is */
  draining(): void;
  close(): Promise<void>;
}

/** Binds the HTTP server first (a bad address fails before anything connects), then waits for attach(). */
export async function startOperations(options: OperationsOptions): Promise<Operations> {
  const partitions = options.partitions ?? UNPARTITIONED;
  // the bus is composed inside startWorker, after this: metrics and console read it through here
  let current = NO_VIEW;
  const traceListeners: Parameters<BusView['onTrace']>[0][] = [];
  const view: BusView = {
    laneLoad: () => current.laneLoad(),
    onTrace: (listener) => traceListeners.push(listener),
    get twin() {
      return current.twin;
    },
  };
  const stats = new WorkerStats(partitions);
  let worker: Worker | null = null;
  let connected = false;
  let serving = false;
  let service: Service | null = null;
  const watchers: WorkerObserver[] = [stats];
  let http: OpsServer | null = null;
  let metrics: BusMetrics | null = null;
  if (options.http) {
    metrics = new BusMetrics(view);
    const feed = new ConsoleFeed(view, stats, () => ({ worker: worker?.id ?? null, connected }));
    watchers.push(metrics, feed);
    http = await startOpsServer({ ...options.http, metrics, feed, health: { connected: () => connected, serving: () => serving, partitions } });
    options.log({ level: 'info', msg: 'http ready', url: http.url, endpoints: ['/', '/healthz', '/readyz', '/metrics'] });
  }
  const watchConnection = async (w: Worker) => {
    for await (const status of w.connection.status()) {
      if (status.type === 'disconnect') connected = false;
      if (status.type === 'reconnect') {
        connected = true;
        metrics?.reconnected();
      }
    }
  };
  return {
    observer: observers(watchers, (error) => options.log({ level: 'error', msg: 'observer failed', error: (error as Error).message })),
    watch(composed) {
      current = composed;
      composed.onTrace((record) => {
        for (const listener of traceListeners) listener(record);
      });
    },
    async attach(w, settings) {
      worker = w;
      connected = !w.connection.isClosed();
      void watchConnection(w);
      void w.closed.then(() => {
        connected = false;
        serving = false;
      });
      service = await serveCapbusService({ worker: w, stats, ...settings });
      serving = true;
    },
    draining() {
      serving = false;
    },
    async close() {
      serving = false;
      await http?.close();
      if (service && !service.isStopped && worker && !worker.connection.isClosed()) await service.stop();
    },
  };
}
