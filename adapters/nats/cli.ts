import { closeSync, openSync, writeSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Cap } from '../../src/records/cap.js';
import { CliError, EXIT } from '../node/cli/errors.js';
import { cliExtension, type CliBus, type CliTools, type SealFlags } from '../node/cli/extension.js';
import { parseListenAddress } from '../ops/listen-address.js';
import { sortedJson } from '../../src/json.js';
import type { CapReceipt } from '../../src/records/receipt.js';
import type { SigningKey } from '../../src/seal/seal.js';
import { CapBusError, connectCapBus, type ClientOptions } from './client.js';
import { DEFAULT_SERVER, LOGIN_KEYS, type NatsConnectOptions, type NatsLogin } from './connection.js';
import { HOP_LIMIT } from './headers.js';
import { NATS_ENV, loginFromEnv, serversFromEnv, splitServers } from './env.js';
import { leveledLogger, LOG_LEVELS, type LogLevel } from './log.js';
import { parseDuration, parseSize } from './quantities.js';
import { DEFAULT_STREAM_MAX_BYTES } from './stream.js';
import { DEFAULT_PARTITIONS, MAX_PARTITIONS } from '../../src/partition.js';
import { DEFAULT_LEASE_MS } from './leases.js';
import { DEFAULT_CONSUMER, DEFAULT_MAX_BYTES, DEFAULT_STOP_TIMEOUT_MS, startWorker, type Worker, type WorkerParts } from './server.js';
import { nodeBackend } from '../node/ed25519.js';
import { Ed25519ThreadPool } from '../node/ed25519-threads.js';
import { DEFAULT_PREFIX, DEFAULT_QUEUE } from './subjects.js';

/** How to log in: the flags serve, tail and `emit --nats` take. */
type LoginFlags = NatsLogin;

interface ConnectionFlags extends LoginFlags {
  nats?: string[];
  subjectPrefix: string;
}

interface ServeFlags extends ConnectionFlags, SealFlags {
  queue: string;
  maxHops: number;
  maxBytes: number;
  jetstream?: boolean;
  consumer: string;
  ackWait?: number;
  maxAckPending?: number;
  gatewayLog?: string;
  executedLog?: string;
  allowUnsealed?: boolean;
  partitions: number;
  leaseMs: number;
  stopTimeout: number;
  logLevel: LogLevel;
  http?: { host: string; port: number };
  streamMaxAge?: number;
  streamMaxBytes?: number;
  cryptoThreads?: number;
}

/** `--nats a --nats b,c`, or NATS_URL=a,b as the NATS CLI takes it. */
const collectServers = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...splitServers(value)];

/** A flag parsed by a parser that throws on bad input; its error becomes commander's usage error. */
const quantity = <T>(parse: (text: string) => T) => (value: string): T => {
  try {
    return parse(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

const intFlag = (name: string, min: number, max: number) => (value: string) => {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
};

/**
 * The login flags. Each falls back to the environment variable the NATS CLI reads for it, so
 * secrets need not appear in the process list; a flag given on the command line wins. (`emit`
 * reads the variables only with --nats, so they never turn an in-process run into an error.)
 */
const loginOptionList = (withEnv: boolean): Option[] => {
  const options: [keyof typeof NATS_ENV, string, string][] = [
    ['user', '--user <name>', 'NATS user (with --password)'],
    ['password', '--password <secret>', 'NATS password'],
    ['token', '--token <token>', 'NATS authentication token'],
    ['creds', '--creds <file>', 'NATS credentials file (JWT + NKey seed)'],
    ['tlsCa', '--tls-ca <file>', 'PEM CA file the server certificate must chain to (a private CA); requires TLS'],
    ['tlsCert', '--tls-cert <file>', 'PEM client certificate, for servers that verify clients (with --tls-key); requires TLS'],
    ['tlsKey', '--tls-key <file>', 'PEM key of --tls-cert'],
  ];
  return options.map(([key, flags, what]) => (withEnv ? new Option(flags, what).env(NATS_ENV[key]) : new Option(flags, `${what} (env: ${NATS_ENV[key]}, read with --nats)`)));
};

function withLoginFlags(cmd: Command): Command {
  for (const option of loginOptionList(true)) cmd.addOption(option);
  return cmd;
}

function withConnectionFlags(cmd: Command): Command {
  return withLoginFlags(
    cmd
      .addOption(
        new Option('--nats <url>', `NATS server URL, repeatable or comma-separated; tls://host:port requires TLS (default: ${DEFAULT_SERVER})`)
          .env(NATS_ENV.servers)
          .argParser(collectServers),
      )
      .option('--subject-prefix <prefix>', 'first token(s) of every subject', DEFAULT_PREFIX),
  );
}

/** `--tls-ca` for `tlsCa`. */
const flagName = (option: string) => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The login part of parsed flags, as connection options. */
function loginOptions(o: LoginFlags): NatsLogin {
  return Object.fromEntries(LOGIN_KEYS.map((key) => [key, o[key]]));
}

/** NATS_URL's servers, or the default server. */
function natsServers(env: Readonly<Record<string, string | undefined>>): string[] {
  return serversFromEnv(env) ?? [DEFAULT_SERVER];
}

function connection(o: ConnectionFlags): NatsConnectOptions & { prefix: string } {
  return { servers: o.nats ?? [DEFAULT_SERVER], prefix: o.subjectPrefix, ...loginOptions(o) };
}

/** Runs a setup step whose failure is the user's to fix (bad file, flag or address): exit 2 with its message. */
async function usage<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** Opens a file for appending, one synchronous write per line: lines survive a crash of the worker. */
function appendLines(path: string, what: string): { write(line: string): void; close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw new CliError(`cannot open ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return { write: (line) => writeSync(fd, line + '\n'), close: () => closeSync(fd) };
}

/** Resolves on the first SIGINT or SIGTERM, or when `other` settles, whichever comes first. */
async function untilSignalOr(other: Promise<unknown>): Promise<void> {
  let signalled!: () => void;
  const signal = new Promise<void>((resolve) => (signalled = resolve));
  process.once('SIGINT', signalled);
  process.once('SIGTERM', signalled);
  try {
    await Promise.race([signal, other]);
  } finally {
    process.off('SIGINT', signalled);
    process.off('SIGTERM', signalled);
  }
}

/** The NATS transport in the CLI: `emit --nats`, `serve` (a bus worker) and `tail` (live gateway events). */
export const natsCli = cliExtension<EmitFlags>({
  emitOptions: () => [
    new Option('--nats [url]', `send the cap to a bus over NATS (repeatable for a cluster) and print its receipt; without a URL: $${NATS_ENV.servers}, else ${DEFAULT_SERVER}`).argParser(
      collectServers,
    ),
    new Option('--subject-prefix <prefix>', 'NATS subject prefix of the bus').default(DEFAULT_PREFIX),
    ...loginOptionList(false),
  ],
  emitTarget(o) {
    const given = Object.entries(loginOptions(o)).filter(([, value]) => value !== undefined);
    if (o.nats === undefined) {
      // a login flag on an in-process run would be silently ignored: say so instead
      if (given.length > 0) throw new CliError(`${given.map(([name]) => flagName(name)).join(', ')}: only with --nats`);
      return undefined;
    }
    const servers = o.nats === true ? natsServers(process.env) : o.nats;
    const login = { ...loginFromEnv(process.env), ...Object.fromEntries(given) };
    return (cap, key) => emitOverNats(cap, { ...login, servers, prefix: o.subjectPrefix, maxHops: o.hops, key, backend: nodeBackend });
  },
  commands: registerNatsCommands,
});

interface EmitFlags extends LoginFlags {
  /** true: --nats without a URL */
  nats?: string[] | true;
  subjectPrefix: string;
  hops?: number;
}

function registerNatsCommands(program: Command, tools: CliTools): void {
  const { out, withRunFlags, err } = tools;

  withRunFlags(
    withConnectionFlags(
      program
        .command('serve')
        .description('run a bus worker on NATS: caps from <prefix>.cap.>, receipts to the sender and <prefix>.receipt.<cap_id>, gateway events to <prefix>.event.gateway'),
    ),
  )
    .addOption(new Option('--allow-unsealed', 'with a keyring, still accept unsealed (JSON) caps, unverified').conflicts('requireSeal'))
    .option('--queue <group>', 'queue group shared by the workers of one bus', DEFAULT_QUEUE)
    .option('--max-hops <n>', `Tibet-Max-Hops for caps that carry none, 1-${HOP_LIMIT}`, intFlag('--max-hops', 1, HOP_LIMIT), 1)
    .option('--max-bytes <n>', 'largest cap message accepted', intFlag('--max-bytes', 1, 64 * 1_048_576), DEFAULT_MAX_BYTES)
    .option('--jetstream', 'durable mode: stream CAPBUS, durable pull consumer, receipts in KV capbus-receipts before the ack')
    .option('--consumer <name>', 'durable consumer name (--jetstream)', DEFAULT_CONSUMER)
    .option('--ack-wait <ms>', 'JetStream redelivery delay of unacknowledged caps (--jetstream; default 30000)', intFlag('--ack-wait', 100, 3_600_000))
    .option('--max-ack-pending <n>', 'caps in progress at once across the consumer; also the most a crash leaves in doubt (--jetstream; default 512)', intFlag('--max-ack-pending', 1, 100_000))
    .option('--partitions <n>', 'partitions of the deployment, the same on every worker (recorded in KV; a worker with another count refuses to start); 0: none, each worker schedules what it takes on lanes of its own', intFlag('--partitions', 0, MAX_PARTITIONS), DEFAULT_PARTITIONS)
    .option('--lease-ms <ms>', 'how long a partition stays with a worker that stopped renewing it (killed, cut off) before others take it over', intFlag('--lease-ms', 100, 600_000), DEFAULT_LEASE_MS)
    .option('--stop-timeout <ms>', 'after SIGTERM/SIGINT, how long to finish caps in flight before exiting regardless (also when NATS is gone)', intFlag('--stop-timeout', 0, 3_600_000), DEFAULT_STOP_TIMEOUT_MS)
    .option('--gateway-log <file>', 'append every gateway event as JSONL')
    .option('--executed-log <file>', 'append the cap_id of every cap as it starts executing (audit trail)')
    .option('--stream-max-age <duration>', 'remove caps older than this from the stream, acknowledged or not, e.g. 7d (--jetstream; default 0: no age limit)', quantity(parseDuration))
    .option('--stream-max-bytes <size>', `largest stream size, e.g. 1GiB; when full, new caps are refused, stored ones never dropped; 0: unlimited (--jetstream; default ${DEFAULT_STREAM_MAX_BYTES / 1024 ** 3}GiB)`, quantity(parseSize))
    .option('--crypto-threads <n>', 'worker threads that verify and sign while other caps are in flight; 0: all on the main thread (default: the cores this process may use; lower it when several workers share a machine)', intFlag('--crypto-threads', 0, 256))
    .addOption(new Option('--log-level <level>', 'least severe log records written').choices(LOG_LEVELS).default('info').env('LOG_LEVEL'))
    .option('--http <host:port>', 'serve /healthz, /readyz, /metrics (Prometheus) and the live console at / on this address (off by default)', quantity(parseListenAddress))
    .action(async (o: ServeFlags) => {
      // a worker that has a keyring guards a network: unsealed caps only when explicitly allowed
      // a worker's receipts and follow-ups travel sealed
      const flags = { ...o, signs: true, requireSeal: o.requireSeal || (o.keyring !== undefined && !o.allowUnsealed) };
      const log = leveledLogger(o.logLevel);
      const gatewayLog = o.gatewayLog === undefined ? undefined : appendLines(o.gatewayLog, 'gateway log');
      const executedLog = o.executedLog === undefined ? undefined : appendLines(o.executedLog, 'executed log');
      try {
        // loaded here, not with the CLI: metrics and HTTP cost start-up time every other command would pay
        const { startOperations } = await import('../ops/index.js');
        // HTTP first: a bad or taken address fails before anything connects
        let serving: Worker | undefined;
        // stats and /readyz show the partitions this worker owns now; /readyz waits for the first share
        const partitions = () =>
          o.partitions === 0
            ? { partitioned: false as const }
            : { partitioned: true as const, count: o.partitions, owned: serving?.owned() ?? [], first_share_held: serving?.hasFirstShare() ?? false };
        const ops = await usage(() => startOperations({ http: o.http, log, partitions }));
        let cliBus: CliBus | undefined;
        const offload = o.cryptoThreads === 0 ? undefined : new Ed25519ThreadPool({ size: o.cryptoThreads });
        const bus = (parts: WorkerParts) => {
          cliBus = tools.composeBus(flags, { hooks: parts.hooks, phases: { align: parts.align }, ...(offload ? { offload } : {}), ...(parts.twinStore ? { twinStore: parts.twinStore } : {}) });
          ops.watch(cliBus.view);
          return cliBus.bus;
        };
        const worker = await usage(() =>
          startWorker({
            ...connection(o),
            bus,
            queue: o.queue,
            maxHops: o.maxHops,
            maxBytes: o.maxBytes,
            log,
            jetstream: o.jetstream ? { consumer: o.consumer, ackWaitMs: o.ackWait, maxAckPending: o.maxAckPending, limits: { maxAgeMs: o.streamMaxAge, maxBytes: o.streamMaxBytes } } : false,
            partitions: o.partitions,
            leaseMs: o.leaseMs,
            stopTimeoutMs: o.stopTimeout,
            onGatewayEvent: gatewayLog && ((event) => gatewayLog.write(sortedJson(event))),
            onExecute: executedLog && ((cap) => executedLog.write(cap.cap_id)),
            observer: ops.observer,
          }),
        ).catch(async (error: unknown) => {
          await ops.close();
          throw error;
        });
        serving = worker;
        await usage(() => ops.attach(worker, { queue: o.queue, mode: o.jetstream ? 'jetstream' : 'core' })).catch(async (error: unknown) => {
          await worker.stop();
          await ops.close();
          throw error;
        });
        if (o.busKey === undefined) {
          // follow-ups travel bus-sealed, and a worker trusts only its own bus key (and keyring.bus)
          log({ level: 'warn', msg: 'no --bus-key: this worker seals with a key of its own, so other workers of its queue group reject its follow-ups; give them all the same --bus-key' });
        }
        await untilSignalOr(worker.closed);
        ops.draining();
        await worker.stop();
        await ops.close();
        cliBus?.finish();
      } finally {
        gatewayLog?.close();
        executedLog?.close();
      }
    });

  withConnectionFlags(program.command('tail').description('print the live gateway events of a bus as JSONL (keys sorted) until interrupted'))
    .option('--count <n>', 'exit after this many events', intFlag('--count', 1, Number.MAX_SAFE_INTEGER))
    .action(async (o: ConnectionFlags & { count?: number }) => {
      const client = await usage(() => connectCapBus(connection(o)));
      let seen = 0;
      let enough: () => void = () => {};
      const counted = new Promise<void>((resolve) => (enough = resolve));
      const stopTail = await client.tail(
        (event) => {
          out(sortedJson(event) + '\n');
          if (++seen === o.count) enough();
        },
        (problem) => err(`tibet-cap-bus: skipped a message: ${problem}\n`),
      );
      await untilSignalOr(counted);
      stopTail();
      await client.close();
    });
}

export interface NatsEmitOptions extends ClientOptions {
  /** seal with this key (COSE); without, the cap goes as JSON */
  key?: SigningKey;
}

/** Bus refusals mean the cap is bad (exit 1); anything else is the environment's (exit 2). */
const TRANSPORT_CODES = new Set(['no-worker', 'timeout', 'transport', 'closed', 'bad-receipt']);

/**
 * `emit --nats`: sends one cap to a NATS bus and resolves with its receipt. Rejects with a
 * CliError: exit 1 when the bus refused the cap, 2 when it could not be reached or answered badly.
 */
export async function emitOverNats(cap: Cap, options: NatsEmitOptions): Promise<CapReceipt> {
  const client = await usage(() => connectCapBus(options));
  try {
    return await client.emit(cap, { key: options.key });
  } catch (error) {
    if (!(error instanceof CapBusError)) throw error;
    throw new CliError(`${error.code}: ${error.message}`, TRANSPORT_CODES.has(error.code) ? EXIT.usage : EXIT.bad);
  } finally {
    await client.close();
  }
}
