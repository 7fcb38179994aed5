import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONSOLE_PAGE } from './console-page.js';
import type { ConsoleFeed } from './console-feed.js';
import type { BusMetrics } from './metrics.js';
import type { OwnedPartitions } from './worker-stats.js';

/** What the health endpoints ask; answered fresh on every request. */
export interface Health {
  /** connected to NATS right now */
  connected(): boolean;
  /** subscribed and taking caps (not starting, not draining) */
  serving(): boolean;
  /** what it owns; a partitioned worker is ready only once it has held its first share */
  partitions(): OwnedPartitions;
}

export interface OpsServerOptions {
  host: string;
  port: number;
  health: Health;
  metrics: BusMetrics;
  feed: ConsoleFeed;
}

export interface OpsServer {
  /** http://host:port/ as bound (port 0 gets a free one) */
  readonly url: string;
  close(): Promise<void>;
}

/** Console updates are sent at most this often, however fast caps settle. */
const PUSH_EVERY_MS = 200;
/** An SSE comment this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // the page's own inline script and style, its event stream; nothing else
  'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
};

/**
 * `/healthz` (process up and NATS connected), `/readyz` (serving caps and, when partitioned, has
 * held a first share of partitions), `/metrics` (Prometheus text format), `/` the live console and
 * `/events` its SSE stream, `/state` the console's state as JSON. GET (and HEAD) only.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { health, metrics, feed } = options;
  const streams = new Set<ServerResponse>();

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...SECURITY_HEADERS }).end(JSON.stringify(body) + '\n');
  };

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> = {
    '/healthz': (_req, res) => {
      const connected = health.connected();
      json(res, connected ? 200 : 503, { status: connected ? 'ok' : 'unhealthy', nats: connected ? 'connected' : 'disconnected' });
    },
    '/readyz': (_req, res) => {
      const partitions = health.partitions();
      const ready = health.connected() && health.serving() && (!partitions.partitioned || partitions.first_share_held);
      json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', nats: health.connected() ? 'connected' : 'disconnected', serving: health.serving(), partitions });
    },
    '/metrics': async (_req, res) => {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store', ...SECURITY_HEADERS }).end(text);
    },
    '/state': (_req, res) => json(res, 200, feed.state()),
    '/': (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...SECURITY_HEADERS }).end(CONSOLE_PAGE);
    },
    '/events': (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...SECURITY_HEADERS });
      streams.add(res);
      const send = () => res.write(`event: state\ndata: ${JSON.stringify(feed.state())}\n\n`);
      send();
      // changes are coalesced: at most one state per PUSH_EVERY_MS
      let timer: NodeJS.Timeout | null = null;
      const unsubscribe = feed.subscribe(() => {
        timer ??= setTimeout(() => {
          timer = null;
          send();
        }, PUSH_EVERY_MS);
      });
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      req.on('close', () => {
        unsubscribe();
        clearInterval(keepalive);
        if (timer) clearTimeout(timer);
        streams.delete(res);
      });
    },
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route === undefined) return json(res, 404, { error: 'not-found', message: `no ${path} here; try /, /healthz, /readyz, /metrics` });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method-not-allowed', message: 'GET only' });
    Promise.resolve(route(req, res)).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'internal', message: (error as Error).message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`cannot serve HTTP on ${options.host}:${options.port}: ${error.code ?? error.message}`)));
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
