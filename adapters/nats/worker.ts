import type { MsgHdrs, NatsConnection } from 'nats';
import { INTENT_PATTERN } from '../../src/records/cap.js';
import { gatewayEvents, type GatewayEvent } from '../../src/exports/gateway-event.js';
import { sortedJson } from '../../src/json.js';
import type { CapBus } from '../../src/pipeline/pipeline.js';
import type { ExecutionResult } from '../../src/records/result.js';
import type { Arrival } from './hand-off.js';
import { capHeaders, errorHeaders, readCapMeta, receiptHeaders, type CapMeta, type Encoding } from './headers.js';
import type { Logger } from './log.js';
import type { WorkerObserver } from './observer.js';
import type { Stored } from './receipt-store.js';
import { Refused, type ErrorReply } from './refusal.js';
import type { Subjects } from './subjects.js';
import { decodeSubmission, sealedFollowUp, sealedReceipt } from './submission.js';

/** How one worker process is set up; shared by both modes. */
export interface WorkerSettings {
  id: string;
  subjects: Subjects;
  maxHops: number;
  maxBytes: number;
  queue: string;
}

export interface FollowUp {
  subject: string;
  capId: string;
  body: string | Uint8Array;
  headers: MsgHdrs;
}

export interface ReceiptBody {
  bytes: Uint8Array;
  encoding: Encoding;
}

/** How a mode takes caps in and runs the ones handed to this worker. */
export interface Mode {
  /** starts taking caps; resolves with what the ready line should say about the mode */
  start(): Promise<Record<string, unknown>>;
  /** stops taking new caps (those taken still go on) */
  stopIntake(): Promise<void>;
  /** runs a cap of a partition this worker owns (or, unpartitioned, any cap it took) */
  run(arrival: Arrival): Promise<void>;
}

/** Where an admitted cap goes: straight to this worker's lane mux, or to the owner of its partition. */
export interface Router {
  /** resolves once the cap is in its owner's hands; `waiting` is called while no owner takes it */
  deliver(arrival: Arrival, waiting?: () => void): Promise<void>;
}

const utf8 = new TextEncoder();

/**
 * What both modes share: decoding and admitting a message, building follow-ups and receipt
 * bodies, announcing results and refusals, and keeping track of work in flight.
 */
export class WorkerIo {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly nc: NatsConnection,
    readonly bus: CapBus,
    readonly settings: WorkerSettings,
    readonly log: Logger,
    private readonly onGatewayEvent?: (event: GatewayEvent) => void,
    private readonly observer?: WorkerObserver,
  ) {}

  get subjects(): Subjects {
    return this.settings.subjects;
  }

  /** Handlers run concurrently; stopping waits for the ones in flight. */
  track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  get busy(): number {
    return this.inFlight.size;
  }

  settled(): Promise<unknown> {
    return Promise.allSettled([...this.inFlight]);
  }

  /**
   * Checks size, headers, subject and body (throws Refused naming the first problem), then runs
   * the bus's phases before the lane: verify, place, distribute, inject, align.
   */
  async admit(subject: string, data: Uint8Array, hdrs: MsgHdrs | undefined, ack: string | null): Promise<Arrival> {
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
    // the bus verifies (sealed caps, the unsealed policy) before it places; what it refuses gets a rejected receipt
    const admitted = await this.bus.admit(decoded.submission, { hint: meta.lamport === undefined ? {} : { lamport: meta.lamport }, spawn: meta.hop + 1 < meta.maxHops });
    return { hand_off: this.bus.context.ids.hex16(), cap_id: decoded.capId, admitted, ack, meta, receivedAt };
  }

  /**
   * The follow-ups to publish: one hop further, bounded alike, causally after their parent, and
   * bus-sealed COSE when the bus seals (so the worker that takes one verifies it as the bus's).
   */
  followUps(meta: CapMeta, result: ExecutionResult): FollowUp[] {
    return result.spawned_caps.map((child, i) => {
      const sealed = sealedFollowUp(result, i);
      const headers = capHeaders({ encoding: sealed ? 'cose' : 'json', hop: meta.hop + 1, maxHops: meta.maxHops, lamport: result.distributed.causal_rank });
      return { subject: this.subjects.cap(child.intent), capId: child.cap_id, body: sealed ?? JSON.stringify(child), headers };
    });
  }

  /** The receipt in the request's encoding: the sealed receipt for a sealed cap, JSON otherwise. */
  receiptBody(meta: CapMeta, result: ExecutionResult): ReceiptBody {
    const sealed = meta.encoding === 'cose' ? sealedReceipt(result) : null;
    return sealed ? { bytes: sealed, encoding: 'cose' } : { bytes: utf8.encode(JSON.stringify(result.receipt)), encoding: 'json' };
  }

  /** Publishes the receipt (observers, then the sender) and the gateway events of one run. */
  announce(capId: string, result: ExecutionResult, body: ReceiptBody, replyTo: string | undefined, receivedAt: number): void {
    const headers = receiptHeaders(body.encoding, result.distributed.causal_rank);
    this.nc.publish(this.subjects.receipt(capId), body.bytes, { headers });
    if (replyTo) this.nc.publish(replyTo, body.bytes, { headers });
    for (const event of gatewayEvents([result])) {
      this.nc.publish(this.subjects.gateway, sortedJson(event));
      this.onGatewayEvent?.(event);
    }
    this.observer?.settled?.(result, performance.now() - receivedAt);
  }

  /** A cap that already has a receipt: the stored receipt again, and no new gateway event (it did not run again). */
  answerStored(capId: string, stored: Extract<Stored, { state: 'done' }>, replyTo: string | undefined): void {
    const headers = receiptHeaders(stored.encoding);
    this.nc.publish(this.subjects.receipt(capId), stored.bytes, { headers });
    if (replyTo) this.nc.publish(replyTo, stored.bytes, { headers });
  }

  /** Answers a refused message with a JSON error and logs it; never throws. */
  refuse(error: unknown, subject: string, replyTo: string | undefined): void {
    const refusal = error instanceof Refused ? error : new Refused('internal', 'the worker failed on this cap; see its log');
    this.observer?.refused?.(refusal.code);
    this.log({
      level: refusal.code === 'internal' ? 'error' : 'warn',
      msg: 'refused',
      code: refusal.code,
      reason: refusal.message,
      subject,
      worker: this.settings.id,
      ...(refusal === error ? {} : { error: describe(error) }),
    });
    if (!replyTo) return;
    const reply: ErrorReply = { error: refusal.code, message: refusal.message };
    try {
      this.nc.publish(replyTo, JSON.stringify(reply), { headers: errorHeaders(refusal.code) });
    } catch (publishError) {
      this.log({ level: 'error', msg: 'could not send refusal', subject: replyTo, error: describe(publishError), worker: this.settings.id });
    }
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
