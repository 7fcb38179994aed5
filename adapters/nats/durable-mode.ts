import { AckPolicy, DeliverPolicy, nanos, type ConsumerMessages, type JetStreamClient, type JsMsg } from 'nats';
import { compareBytes } from '../../src/bytes.js';
import type { ExecuteHook } from '../../src/pipeline/hooks.js';
import type { ExecutorVerdict } from '../../src/pipeline/phases.js';
import type { ExecutionResult } from '../../src/records/result.js';
import type { Arrival } from './hand-off.js';
import { replyHeader } from './headers.js';
import { ReceiptStore } from './receipt-store.js';
import { ensureCapStream, TRIM_EVERY_MS, trimAcknowledged, type StreamLimits } from './stream.js';
import { describe, type Mode, type Router, type WorkerIo } from './worker.js';

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

const DURABLE_DEFAULTS: Required<DurableOptions> = { stream: DEFAULT_STREAM, consumer: DEFAULT_CONSUMER, ackWaitMs: 30_000, maxAckPending: 512, limits: {} };
/** the shortest wait before a durable cap is looked at again when another delivery of it is in progress */
const RETRY_MS = 500;
/** a claim whose worker is alive is in doubt only after this many ack waits (it may have lost the cap without dying) */
const ALIVE_CLAIM_ACK_WAITS = 10;
/** how long storing a receipt or publishing follow-ups is retried while NATS recovers */
const PERSIST_FOR_MS = 30_000;

const IN_DOUBT: ExecutorVerdict = {
  accepted: false,
  continuation_mode: 'resync-needed',
  reason: 'in doubt: a worker stopped while this cap was in progress, so whether it took effect is unknown; it is not run again',
};

/** Durable options with the defaults filled in where a field is missing or undefined. */
export function withDefaults(options: DurableOptions): Required<DurableOptions> {
  return {
    stream: options.stream ?? DURABLE_DEFAULTS.stream,
    consumer: options.consumer ?? DURABLE_DEFAULTS.consumer,
    ackWaitMs: options.ackWaitMs ?? DURABLE_DEFAULTS.ackWaitMs,
    maxAckPending: options.maxAckPending ?? DURABLE_DEFAULTS.maxAckPending,
    limits: options.limits ?? DURABLE_DEFAULTS.limits,
  };
}

/**
 * The acknowledgement of one JetStream delivery, by its ack subject: the worker that took the
 * delivery hands the subject over with the cap, and the owner that runs it acks once settled.
 */
class Delivery {
  constructor(
    private readonly io: WorkerIo,
    private readonly subject: string,
  ) {}
  ack(): void {
    this.send('+ACK');
  }
  nak(delayMs: number): void {
    this.send(`-NAK ${JSON.stringify({ delay: nanos(delayMs) })}`);
  }
  working(): void {
    this.send('+WPI');
  }
  private send(body: string): void {
    if (!this.io.nc.isClosed()) this.io.nc.publish(this.subject, body);
  }
}

/**
 * JetStream: stream CAPBUS, a durable pull consumer, receipts in KV before the ack (product.md
 * §4). The owner of a cap's partition claims it with an atomic create (where the key is taken it
 * looks: a stored receipt is answered, never re-run), runs it, publishes its follow-ups, stores the receipt in place of the
 * claim, answers, and only then acks. Three sets of cap_ids keep a redelivery from running twice.
 */
export class DurableMode implements Mode {
  /** cap_ids this process is working on: a redelivery of one of them waits rather than doubting it */
  private readonly held = new Set<string>();
  /** cap_ids the in-doubt hook answers without running */
  private readonly inDoubt = new Set<string>();
  /** cap_ids this process ran but could not settle (store or ack failed): a redelivery of one is in doubt */
  private readonly unsettled = new Set<string>();
  private store: ReceiptStore | null = null;
  private messages: ConsumerMessages | null = null;
  private trim: ReturnType<typeof setInterval> | undefined;
  private readonly options: Required<DurableOptions>;
  /** whether the worker that claimed a cap is alive (partitioned: its heartbeat); unknown: judged by the claim's age alone */
  claimerAlive: (workerId: string) => boolean = () => false;

  constructor(
    private readonly io: () => WorkerIo,
    options: DurableOptions,
    private readonly router: () => Router,
  ) {
    this.options = withDefaults(options);
  }

  /** Plugged in when the bus is built: an in-doubt cap gets a resync-needed verdict instead of a second run. */
  readonly inDoubtHook: ExecuteHook = (next) => ({
    execute: (distributed, seal) => (this.inDoubt.has(distributed.cap.cap_id) ? IN_DOUBT : next.execute(distributed, seal)),
  });

  async start(): Promise<Record<string, unknown>> {
    const { nc, subjects } = this.io();
    const { stream, consumer, ackWaitMs, maxAckPending } = this.options;
    const jsm = await nc.jetstreamManager();
    await ensureCapStream(jsm, stream, subjects.caps, this.options.limits);
    await jsm.consumers.add(stream, {
      durable_name: consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: maxAckPending,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subjects.caps,
    });
    const js: JetStreamClient = nc.jetstream();
    this.store = await ReceiptStore.open(js);
    const source = await js.consumers.get(stream, consumer);
    this.messages = await source.consume({ max_messages: maxAckPending, callback: (jm) => this.io().track(this.take(jm)) });
    const warn = (error: unknown) => this.io().log({ level: 'warn', msg: 'stream trim failed', error: describe(error) });
    this.trim = setInterval(() => void trimAcknowledged(jsm, stream).catch(warn), TRIM_EVERY_MS);
    return { mode: 'jetstream', subjects: [subjects.caps], stream, consumer };
  }

  async stopIntake(): Promise<void> {
    clearInterval(this.trim);
    await this.messages?.close();
  }

  /** Admits a delivery and hands it (with its ack subject) to the owner of its partition. */
  private async take(jm: JsMsg): Promise<void> {
    const io = this.io();
    const replyTo = replyHeader(jm.headers);
    const ack = (jm as JsMsg & { reply?: string }).reply ?? '';
    let arrival: Arrival;
    try {
      if (!ack.startsWith('$JS.ACK.')) throw new Error('a JetStream delivery without an ack subject');
      arrival = await io.admit(jm.subject, jm.data, jm.headers, ack);
    } catch (error) {
      io.refuse(error, jm.subject, replyTo);
      jm.term();
      return;
    }
    try {
      await this.router().deliver(arrival, () => jm.working());
    } catch (error) {
      io.log({ level: 'warn', msg: 'durable cap not handed over; it will be redelivered', cap_id: arrival.cap_id, error: describe(error), worker: io.settings.id });
      if (!io.nc.isClosed()) jm.nak(RETRY_MS);
    }
  }

  async run(arrival: Arrival): Promise<void> {
    const io = this.io();
    const store = this.store!;
    const { cap_id: capId } = arrival;
    const delivery = new Delivery(io, arrival.ack!);
    const replyTo = arrival.meta.reply;
    // held from the first look on: between our claim reaching the server and its answer reaching us,
    // another delivery's lookup would find "our claim, not held" and run the cap a second time
    if (this.held.has(capId)) {
      delivery.nak(RETRY_MS);
      return;
    }
    this.held.add(capId);
    try {
      // the common case first: nobody has the key, so the claim is the only look it takes
      const claimed = await store.claim(capId, io.settings.id);
      if (claimed !== null) {
        await this.settle(arrival, delivery, claimed, false);
        return;
      }
      const stored = await store.lookup(capId);
      if (stored.state === 'done') {
        io.answerStored(capId, stored, replyTo);
        delivery.ack();
        return;
      }
      if (stored.state === 'none') {
        // the claim that stood in our way is gone again (a purge): look again shortly
        delivery.nak(RETRY_MS);
        return;
      }
      const ownUnrun = stored.claimedBy === io.settings.id && !this.unsettled.has(capId);
      const { ackWaitMs } = this.options;
      // a live claimer may still be running it (its partition moved here meanwhile): wait for its receipt
      const claimerBusy = this.claimerAlive(stored.claimedBy) && stored.ageMs < ackWaitMs * ALIVE_CLAIM_ACK_WAITS;
      if (!ownUnrun && (stored.ageMs < ackWaitMs || claimerBusy)) {
        // another delivery of this cap may still be in progress elsewhere: look again once its claim could have lapsed
        delivery.nak(Math.max(RETRY_MS, ackWaitMs - stored.ageMs));
        return;
      }
      // our own claim of a cap we never ran (an earlier attempt failed before it) runs now; any other is in doubt
      const revision = stored.revision;
      const doubt = !ownUnrun;
      if (doubt) io.log({ level: 'warn', msg: 'in doubt', cap_id: capId, claimed_by: stored.claimedBy, worker: io.settings.id });
      await this.settle(arrival, delivery, revision, doubt);
    } catch (error) {
      io.log({ level: 'error', msg: 'durable cap not settled; it will be redelivered', cap_id: capId, error: describe(error), worker: io.settings.id });
      delivery.nak(RETRY_MS);
    } finally {
      this.held.delete(capId);
    }
  }

  private async settle(arrival: Arrival, delivery: Delivery, revision: number, doubt: boolean): Promise<void> {
    const io = this.io();
    const store = this.store!;
    const { cap_id: capId, meta } = arrival;
    const js = io.nc.jetstream();
    if (doubt) this.inDoubt.add(capId);
    this.unsettled.add(capId);
    let result: ExecutionResult;
    try {
      result = await io.bus.complete(arrival.admitted);
    } finally {
      this.inDoubt.delete(capId);
    }
    // Follow-ups before the receipt: after a crash in between, the cap is in doubt, but no follow-up is lost.
    const followUps = io.followUps(meta, result);
    await this.persist(delivery, () => Promise.all(followUps.map((f) => js.publish(f.subject, f.body, { msgID: f.capId, headers: f.headers }))));
    const body = io.receiptBody(meta, result);
    const saved = await this.persist(delivery, () => store.save(capId, body.bytes, revision));
    const now = saved ? null : await store.lookup(capId);
    // a save whose answer was lost in an outage, retried, finds our own receipt already there
    if (saved || (now?.state === 'done' && compareBytes(now.bytes, body.bytes) === 0)) {
      io.announce(capId, result, body, meta.reply, arrival.receivedAt);
    } else if (now?.state === 'done') {
      // overtaken: another worker judged this cap in doubt and stored that receipt first
      io.answerStored(capId, now, meta.reply);
    }
    this.unsettled.delete(capId);
    delivery.ack();
  }

  /** Retries a durable step while NATS is unreachable, keeping the delivery ours meanwhile. */
  private async persist<T>(delivery: Delivery, step: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + PERSIST_FOR_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (Date.now() >= deadline || this.io().nc.isClosed()) throw error;
        try {
          delivery.working();
        } catch {
          // disconnected: the retry below is what matters
        }
        await new Promise((done) => setTimeout(done, Math.min(100 * 2 ** attempt, 2_000)));
      }
    }
  }
}
