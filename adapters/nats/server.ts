import { hostname } from 'node:os';
import { AckPolicy, DeliverPolicy, nanos, type ConsumerMessages, type JetStreamClient, type JsMsg, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import { compareBytes } from '../../src/bytes.js';
import { INTENT_PATTERN, type Cap } from '../../src/records/cap.js';
import { gatewayEvents, type GatewayEvent } from '../../src/exports/gateway-event.js';
import { sortedJson } from '../../src/json.js';
import type { ExecutorVerdict } from '../../src/pipeline/phases.js';
import { randomIds } from '../../src/clock.js';
import type { BusHooks, ExecuteHook } from '../../src/pipeline/hooks.js';
import type { CapBus } from '../../src/pipeline/pipeline.js';
import type { ExecutionResult } from '../../src/records/result.js';
import { connectNats, type NatsConnectOptions } from './connection.js';
import { capHeaders, errorHeaders, HOP_LIMIT, readCapMeta, receiptHeaders, replyHeader, type CapMeta, type Encoding } from './headers.js';
import { stderrLogger, type Logger } from './log.js';
import type { WorkerObserver } from './observer.js';
import { ReceiptStore, type Stored } from './receipt-store.js';
import { ensureCapStream, TRIM_EVERY_MS, trimAcknowledged, type StreamLimits } from './stream.js';
import { Refused, type ErrorReply } from './refusal.js';
import { DEFAULT_QUEUE, subjectsFor, type Subjects } from './subjects.js';
import { decodeSubmission, sealedFollowUp, sealedReceipt, type Decoded } from './submission.js';

export const DEFAULT_MAX_BYTES = 1_048_576;
export const DEFAULT_STREAM = 'CAPBUS';
export const DEFAULT_CONSUMER = 'capbus-worker';

export interface DurableOptions {
  /** JetStream stream over `<prefix>.cap.>` (created when missing) */
  stream?: string;
  /** durable pull consumer shared by every worker of one bus deployment */
  consumer?: string;
  /** how long a delivered cap stays with a worker before JetStream redelivers it */
  ackWaitMs?: number;
  /** caps handed out and not yet acknowledged, per consumer */
  maxAckPending?: number;
  /** how big the stream may grow (stream.ts: never by dropping an unacknowledged cap) */
  limits?: StreamLimits;
}

export interface WorkerOptions extends NatsConnectOptions {
  /** builds the bus the caps run on; it must apply the worker's hooks (in-doubt guard, onExecute) */
  bus: (hooks: BusHooks) => CapBus;
  prefix?: string;
  queue?: string;
  /** Tibet-Max-Hops for caps that carry none */
  maxHops?: number;
  /** largest message body accepted */
  maxBytes?: number;
  /** durable mode: JetStream stream, durable pull consumer, receipts in KV before the ack */
  jetstream?: boolean | DurableOptions;
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
  /** graceful: stop taking caps, finish those in flight, drain the connection */
  stop(): Promise<void>;
  /** resolves when the connection is closed, by stop() or for good */
  readonly closed: Promise<void>;
  /** the worker's connection, for adapters that serve beside it (service discovery, health) */
  readonly connection: NatsConnection;
}

interface Request {
  meta: CapMeta;
  decoded: Decoded;
  /** performance.now() when the message was taken up */
  receivedAt: number;
}

const DURABLE_DEFAULTS: Required<DurableOptions> = { stream: DEFAULT_STREAM, consumer: DEFAULT_CONSUMER, ackWaitMs: 30_000, maxAckPending: 512, limits: {} };
/** the shortest wait before a durable cap is looked at again when another delivery of it is in progress */
const RETRY_MS = 500;
/** how long storing a receipt or publishing follow-ups is retried while NATS recovers */
const PERSIST_FOR_MS = 30_000;

const IN_DOUBT: ExecutorVerdict = {
  accepted: false,
  continuation_mode: 'resync-needed',
  reason: 'in doubt: a worker stopped while this cap was in progress, so whether it took effect is unknown; it is not run again',
};

const utf8 = new TextEncoder();

/** Connects and starts serving caps; resolves once subscribed (and logged "ready"). */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const maxHops = options.maxHops ?? 1;
  if (!Number.isInteger(maxHops) || maxHops < 1 || maxHops > HOP_LIMIT) throw new Error(`maxHops must be an integer from 1 to ${HOP_LIMIT}`);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new Error('maxBytes must be a positive integer');
  const durable = options.jetstream ? withDefaults(options.jetstream === true ? {} : options.jetstream) : null;
  const subjects = subjectsFor(options.prefix);
  const id = `${hostname()}:${process.pid}:${randomIds().hex16().slice(0, 8)}`;
  // Workers outlive server restarts: reconnect for ever, quickly.
  const nc = await connectNats({ ...options, name: options.name ?? `capbus-worker ${id}` }, { maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  const worker = new BusWorker(nc, options, { id, subjects, maxHops, maxBytes, queue: options.queue ?? DEFAULT_QUEUE });
  try {
    await (durable ? worker.startDurable(durable) : worker.startCore());
  } catch (error) {
    await nc.close();
    throw error;
  }
  return worker;
}

interface Settings {
  id: string;
  subjects: Subjects;
  maxHops: number;
  maxBytes: number;
  queue: string;
}

class BusWorker implements Worker {
  readonly id: string;
  readonly subjects: Subjects;
  readonly closed: Promise<void>;
  private readonly bus: CapBus;
  private readonly log: Logger;
  private readonly inFlight = new Set<Promise<void>>();
  /** cap_ids this process is working on: a redelivery of one of them waits rather than doubting it */
  private readonly held = new Set<string>();
  /** cap_ids the guarded executor answers without running */
  private readonly inDoubt = new Set<string>();
  /** cap_ids this process ran but could not settle (store or ack failed): a redelivery of one is in doubt */
  private readonly unsettled = new Set<string>();
  private stopIntake: () => Promise<unknown> = async () => {};
  private stopping: Promise<void> | null = null;
  private durable: { js: JetStreamClient; store: ReceiptStore; ackWaitMs: number } | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: WorkerOptions,
    private readonly settings: Settings,
  ) {
    this.id = settings.id;
    this.subjects = settings.subjects;
    this.bus = options.bus({ execute: [this.inDoubtGuard()] });
    this.log = options.log ?? stderrLogger;
    this.closed = nc.closed().then((error) => {
      this.log({ level: error ? 'error' : 'info', msg: 'stopped', worker: this.id, ...(error ? { error: error.message } : {}) });
    });
    void this.watchConnection();
  }

  get connection(): NatsConnection {
    return this.nc;
  }

  async startCore(): Promise<void> {
    const { subjects, queue } = this.settings;
    const sub: Subscription = this.nc.subscribe(subjects.caps, {
      queue,
      callback: (error, msg) => {
        if (error) this.log({ level: 'error', msg: 'subscription error', error: error.message });
        else this.track(this.onCoreMessage(msg));
      },
    });
    this.stopIntake = () => sub.drain();
    await this.nc.flush();
    this.log({ level: 'info', msg: 'ready', worker: this.id, mode: 'core', servers: this.servers(), subjects: [subjects.caps], queue, ...this.describeSettings() });
  }

  async startDurable(durable: Required<DurableOptions>): Promise<void> {
    const { subjects } = this.settings;
    const jsm = await this.nc.jetstreamManager();
    await ensureCapStream(jsm, durable.stream, subjects.caps, durable.limits);
    await jsm.consumers.add(durable.stream, {
      durable_name: durable.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(durable.ackWaitMs),
      max_ack_pending: durable.maxAckPending,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subjects.caps,
    });
    const js = this.nc.jetstream();
    this.durable = { js, store: await ReceiptStore.open(js), ackWaitMs: durable.ackWaitMs };
    const consumer = await js.consumers.get(durable.stream, durable.consumer);
    const messages: ConsumerMessages = await consumer.consume({
      max_messages: durable.maxAckPending,
      callback: (jm) => this.track(this.onDurableMessage(jm)),
    });
    const trim = setInterval(() => void trimAcknowledged(jsm, durable.stream).catch((error) => this.log({ level: 'warn', msg: 'stream trim failed', error: describe(error) })), TRIM_EVERY_MS);
    this.stopIntake = () => (clearInterval(trim), messages.close());
    this.log({
      level: 'info',
      msg: 'ready',
      worker: this.id,
      mode: 'jetstream',
      servers: this.servers(),
      subjects: [subjects.caps],
      stream: durable.stream,
      consumer: durable.consumer,
      ...this.describeSettings(),
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log({ level: 'info', msg: 'draining', worker: this.id, in_flight: this.inFlight.size });
      await this.stopIntake();
      await Promise.allSettled([...this.inFlight]);
      if (!this.nc.isClosed()) await this.nc.drain();
      await this.closed;
    })();
    return this.stopping;
  }

  /** Handlers run concurrently; stop() waits for the ones in flight. */
  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async onCoreMessage(msg: Msg): Promise<void> {
    const replyTo = msg.reply || replyHeader(msg.headers);
    try {
      const request = this.decode(msg.subject, msg.data, msg.headers);
      const result = await this.submit(request);
      for (const followUp of this.followUps(request.meta, result)) this.nc.publish(followUp.subject, followUp.body, { headers: followUp.headers });
      this.announce(request, result, this.receiptBody(request, result), replyTo);
    } catch (error) {
      this.refuse(error, msg.subject, replyTo);
    }
  }

  /**
   * Durable: look the cap up first (a stored receipt is answered, never re-run), claim it, run
   * it, publish its follow-ups, store the receipt in place of the claim, answer, and only then ack.
   */
  private async onDurableMessage(jm: JsMsg): Promise<void> {
    const replyTo = replyHeader(jm.headers);
    let request: Request;
    try {
      request = this.decode(jm.subject, jm.data, jm.headers);
    } catch (error) {
      this.refuse(error, jm.subject, replyTo);
      jm.term();
      return;
    }
    const capId = request.decoded.capId;
    const { store, ackWaitMs } = this.durable!;
    try {
      const stored = await store.lookup(capId);
      if (stored.state === 'done') {
        this.answerStored(capId, stored, replyTo);
        jm.ack();
        return;
      }
      let revision: number;
      let doubt = false;
      if (stored.state === 'claimed') {
        const ownUnrun = stored.claimedBy === this.id && !this.held.has(capId) && !this.unsettled.has(capId);
        if (!ownUnrun && (this.held.has(capId) || stored.ageMs < ackWaitMs)) {
          // another delivery of this cap is (or may still be) in progress: look again once its claim could have lapsed
          jm.nak(Math.max(RETRY_MS, ackWaitMs - stored.ageMs));
          return;
        }
        // our own claim of a cap we never ran (an earlier attempt failed before it) runs now; any other is in doubt
        revision = stored.revision;
        doubt = !ownUnrun;
        if (doubt) this.log({ level: 'warn', msg: 'in doubt', cap_id: capId, claimed_by: stored.claimedBy, worker: this.id });
      } else {
        const claimed = await store.claim(capId, this.id);
        if (claimed === null) {
          jm.nak(RETRY_MS);
          return;
        }
        revision = claimed;
      }
      this.held.add(capId);
      try {
        await this.runDurable(jm, request, revision, doubt, replyTo);
      } finally {
        this.held.delete(capId);
      }
    } catch (error) {
      this.log({ level: 'error', msg: 'durable cap not settled; it will be redelivered', cap_id: capId, error: describe(error), worker: this.id });
      if (!this.nc.isClosed()) jm.nak(RETRY_MS);
    }
  }

  private async runDurable(jm: JsMsg, request: Request, revision: number, doubt: boolean, replyTo: string | undefined): Promise<void> {
    const capId = request.decoded.capId;
    const { js, store } = this.durable!;
    if (doubt) this.inDoubt.add(capId);
    this.unsettled.add(capId);
    let result: ExecutionResult;
    try {
      result = await this.submit(request);
    } finally {
      this.inDoubt.delete(capId);
    }
    // Follow-ups before the receipt: after a crash in between, the cap is in doubt, but no follow-up is lost.
    const followUps = this.followUps(request.meta, result);
    await this.persist(jm, () => Promise.all(followUps.map((f) => js.publish(f.subject, f.body, { msgID: f.capId, headers: f.headers }))));
    const body = this.receiptBody(request, result);
    const saved = await this.persist(jm, () => store.save(capId, body.bytes, revision));
    const now = saved ? null : await store.lookup(capId);
    // a save whose answer was lost in an outage, retried, finds our own receipt already there
    if (saved || (now?.state === 'done' && compareBytes(now.bytes, body.bytes) === 0)) {
      this.announce(request, result, body, replyTo);
    } else if (now?.state === 'done') {
      // overtaken: another worker judged this cap in doubt and stored that receipt first
      this.answerStored(capId, now, replyTo);
    }
    this.unsettled.delete(capId);
    jm.ack();
  }

  /** Retries a durable step while NATS is unreachable, keeping the message ours meanwhile. */
  private async persist<T>(jm: JsMsg, step: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + PERSIST_FOR_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (Date.now() >= deadline || this.nc.isClosed()) throw error;
        try {
          jm.working();
        } catch {
          // disconnected: the retry below is what matters
        }
        await new Promise((done) => setTimeout(done, Math.min(100 * 2 ** attempt, 2_000)));
      }
    }
  }

  /** Checks size, headers, subject and body; throws Refused naming the first problem. */
  private decode(subject: string, data: Uint8Array, hdrs: MsgHdrs | undefined): Request {
    const receivedAt = performance.now();
    const { maxBytes, maxHops } = this.settings;
    if (data.length > maxBytes) throw new Refused('too-large', `cap is ${data.length} bytes, over the limit of ${maxBytes} bytes`);
    const meta = readCapMeta(hdrs, maxHops);
    const subjectIntent = this.subjects.intentOf(subject) ?? '';
    if (!INTENT_PATTERN.test(subjectIntent) || subjectIntent.length > 512) {
      throw new Refused('bad-subject', `subject ${subject} must be ${this.subjects.cap('<intent>')} with a dotted intent of A-Z a-z 0-9 _ -`);
    }
    const decoded = decodeSubmission(data, meta.encoding, this.bus.context);
    if (decoded.intent !== subjectIntent) {
      throw new Refused('subject-mismatch', `subject names intent ${subjectIntent} but the cap's intent is ${decoded.intent}`);
    }
    return { meta, decoded, receivedAt };
  }

  /** The bus verifies (sealed caps, the unsealed policy) before it places; what it refuses gets a rejected receipt. */
  private submit({ meta, decoded }: Request): Promise<ExecutionResult> {
    return this.bus.submit(decoded.submission, { hint: meta.lamport === undefined ? {} : { lamport: meta.lamport }, spawn: meta.hop + 1 < meta.maxHops });
  }

  /**
   * The follow-ups to publish: one hop further, bounded alike, causally after their parent, and
   * bus-sealed COSE when the bus seals (so the worker that takes one verifies it as the bus's).
   */
  private followUps(meta: CapMeta, result: ExecutionResult): { subject: string; capId: string; body: string | Uint8Array; headers: MsgHdrs }[] {
    return result.spawned_caps.map((child, i) => {
      const sealed = sealedFollowUp(result, i);
      const headers = capHeaders({ encoding: sealed ? 'cose' : 'json', hop: meta.hop + 1, maxHops: meta.maxHops, lamport: result.distributed.causal_rank });
      return { subject: this.subjects.cap(child.intent), capId: child.cap_id, body: sealed ?? JSON.stringify(child), headers };
    });
  }

  /** The receipt in the request's encoding: the sealed receipt for a sealed cap, JSON otherwise. */
  private receiptBody(request: Request, result: ExecutionResult): { bytes: Uint8Array; encoding: Encoding } {
    const sealed = request.meta.encoding === 'cose' ? sealedReceipt(result) : null;
    return sealed ? { bytes: sealed, encoding: 'cose' } : { bytes: utf8.encode(JSON.stringify(result.receipt)), encoding: 'json' };
  }

  /** Publishes the receipt (observers, then the sender) and the gateway events of one run. */
  private announce(request: Request, result: ExecutionResult, body: { bytes: Uint8Array; encoding: Encoding }, replyTo: string | undefined): void {
    const headers = receiptHeaders(body.encoding, result.distributed.causal_rank);
    this.nc.publish(this.subjects.receipt(request.decoded.capId), body.bytes, { headers });
    if (replyTo) this.nc.publish(replyTo, body.bytes, { headers });
    for (const event of gatewayEvents([result])) {
      this.nc.publish(this.subjects.gateway, sortedJson(event));
      this.options.onGatewayEvent?.(event);
    }
    this.options.observer?.settled?.(result, performance.now() - request.receivedAt);
  }

  /** A cap that already has a receipt: the stored receipt again, and no new gateway event (it did not run again). */
  private answerStored(capId: string, stored: Extract<Stored, { state: 'done' }>, replyTo: string | undefined): void {
    const headers = receiptHeaders(stored.encoding);
    this.nc.publish(this.subjects.receipt(capId), stored.bytes, { headers });
    if (replyTo) this.nc.publish(replyTo, stored.bytes, { headers });
  }

  /** Answers a refused message with a JSON error and logs it; never throws. */
  private refuse(error: unknown, subject: string, replyTo: string | undefined): void {
    const refusal = error instanceof Refused ? error : new Refused('internal', 'the worker failed on this cap; see its log');
    this.options.observer?.refused?.(refusal.code);
    this.log({
      level: refusal.code === 'internal' ? 'error' : 'warn',
      msg: 'refused',
      code: refusal.code,
      reason: refusal.message,
      subject,
      worker: this.id,
      ...(refusal === error ? {} : { error: describe(error) }),
    });
    if (!replyTo) return;
    const reply: ErrorReply = { error: refusal.code, message: refusal.message };
    try {
      this.nc.publish(replyTo, JSON.stringify(reply), { headers: errorHeaders(refusal.code) });
    } catch (publishError) {
      this.log({ level: 'error', msg: 'could not send refusal', subject: replyTo, error: describe(publishError), worker: this.id });
    }
  }

  /**
   * Wraps the bus's executor: in-doubt caps get a resync-needed verdict instead of a second run,
   * and every real run is reported to onExecute as it starts.
   */
  private inDoubtGuard(): ExecuteHook {
    const { inDoubt } = this;
    const onExecute = this.options.onExecute;
    return (inner) => ({
      execute(distributed, seal) {
        if (inDoubt.has(distributed.cap.cap_id)) return IN_DOUBT;
        onExecute?.(distributed.cap);
        return inner.execute(distributed, seal);
      },
    });
  }

  /** What an operator wants to see in the ready line besides the subjects. */
  private describeSettings(): Record<string, unknown> {
    return {
      max_hops: this.settings.maxHops,
      max_bytes: this.settings.maxBytes,
      bus_key: this.bus.phases.seal?.publicKey ?? null,
    };
  }

  private servers(): string[] {
    const servers = this.options.servers;
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

/** Durable options with the defaults filled in where a field is missing or undefined. */
function withDefaults(options: DurableOptions): Required<DurableOptions> {
  return {
    stream: options.stream ?? DURABLE_DEFAULTS.stream,
    consumer: options.consumer ?? DURABLE_DEFAULTS.consumer,
    ackWaitMs: options.ackWaitMs ?? DURABLE_DEFAULTS.ackWaitMs,
    maxAckPending: options.maxAckPending ?? DURABLE_DEFAULTS.maxAckPending,
    limits: options.limits ?? DURABLE_DEFAULTS.limits,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
