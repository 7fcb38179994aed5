import { createInbox, ErrorCode, NatsError, type Msg, type NatsConnection } from 'nats';
import { describeIssues, parseCap, type Cap, type CapInput } from '../../src/records/cap.js';
import { randomIds, systemClock } from '../../src/clock.js';
import { GatewayEventSchema, type GatewayEvent } from '../../src/exports/gateway-event.js';
import { CapReceiptSchema, type CapReceipt } from '../../src/records/receipt.js';
import { keyText, openSealed, type Ed25519Backend, type SigningKey } from '../../src/seal/seal.js';
import { sealCap } from '../../src/seal/trust.js';
import { connectNats, type NatsConnectOptions } from './connection.js';
import { capHeaders, encodingOf, header, HEADER, type Encoding } from './headers.js';
import { subjectsFor, type Subjects } from './subjects.js';

export interface ClientOptions extends NatsConnectOptions {
  prefix?: string;
  /** send through JetStream (a durable bus): Nats-Msg-Id = cap_id, the receipt comes to a Tibet-Reply inbox */
  durable?: boolean;
  /** Tibet-Max-Hops of every cap (unset: the worker's default) */
  maxHops?: number;
  /** how long emit waits for a receipt, unless told otherwise */
  timeoutMs?: number;
  /** `ed25519:<hex>`: sealed receipts must be sealed with this bus key */
  busKey?: string;
  /** Ed25519 implementation for sealing caps and checking receipts (default @noble/ed25519; on Node, adapters/node/ed25519 is faster) */
  backend?: Ed25519Backend;
}

export interface EmitOptions {
  /** seal the cap with this key and send it as COSE; the receipt then comes back sealed */
  key?: SigningKey;
  /** causal clock to present (default: the highest rank this client has seen) */
  lamport?: number;
  timeoutMs?: number;
  maxHops?: number;
}

/** A refusal from the bus (its Tibet-Error code), or a transport failure (no-worker, timeout, ...). */
export class CapBusError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CapBusClient {
  readonly subjects: Subjects;
  /** validates, sends one cap and resolves with its receipt */
  emit(cap: CapInput | Cap, options?: EmitOptions): Promise<CapReceipt>;
  /** calls onEvent for every gateway event the bus publishes; resolves (subscribed) with a stop function */
  tail(onEvent: (event: GatewayEvent) => void, onInvalid?: (problem: string) => void): Promise<() => void>;
  /** the highest causal rank seen in receipts; presented as Tibet-Lamport by later emits */
  readonly lamport: number;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// Receipts may gain fields (a sealed receipt carries cap_hash); keep them rather than strip them.
const ReceiptRecordSchema = CapReceiptSchema.loose();

export async function connectCapBus(options: ClientOptions): Promise<CapBusClient> {
  const nc = await connectNats({ ...options, name: options.name ?? 'capbus-client' });
  return new NatsCapBusClient(nc, options);
}

interface Waiter {
  resolve(msg: Msg): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

class NatsCapBusClient implements CapBusClient {
  readonly subjects: Subjects;
  private clock = 0;
  private readonly ctx = { clock: systemClock, ids: randomIds() };
  /** durable mode: one inbox subscription, one reply subject per cap (<inbox>.<cap_id>) */
  private inbox: string | null = null;
  private readonly waiters = new Map<string, Waiter>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: ClientOptions,
  ) {
    this.subjects = subjectsFor(options.prefix);
  }

  get lamport(): number {
    return this.clock;
  }

  async emit(input: CapInput | Cap, options: EmitOptions = {}): Promise<CapReceipt> {
    const parsed = parseCap(input, this.ctx);
    if (!parsed.ok) throw new CapBusError('bad-cap', `invalid cap: ${parsed.error}`);
    const { key } = options;
    // a self-signed cap that names no key names the one it is sealed with (as `seal` does)
    const cap = key && parsed.cap.attestation_layer === 'self-signed' && parsed.cap.actor_jis_pubkey === null ? { ...parsed.cap, actor_jis_pubkey: keyText(key.publicKey) } : parsed.cap;
    const encoding: Encoding = key ? 'cose' : 'json';
    const body = key ? sealCap(cap, key, this.options.backend).bytes : JSON.stringify(cap);
    const timeout = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const meta = {
      encoding,
      lamport: options.lamport ?? (this.clock > 0 ? this.clock : undefined),
      hop: 0,
      maxHops: options.maxHops ?? this.options.maxHops,
    };
    const subject = this.subjects.cap(cap.intent);
    const reply = this.options.durable
      ? await this.sendDurable(cap, subject, body, meta, timeout)
      : await this.nc.request(subject, body, { headers: capHeaders(meta), timeout }).catch((error: unknown) => {
          throw transportError(error, subject, cap.cap_id, timeout);
        });
    return this.readReceipt(reply);
  }

  async tail(onEvent: (event: GatewayEvent) => void, onInvalid?: (problem: string) => void): Promise<() => void> {
    const sub = this.nc.subscribe(this.subjects.gateway, {
      callback: (error, msg) => {
        if (error) return onInvalid?.(error.message);
        let value: unknown;
        try {
          value = JSON.parse(msg.string());
        } catch (parseError) {
          return onInvalid?.(`gateway event is not JSON: ${(parseError as Error).message}`);
        }
        const event = GatewayEventSchema.safeParse(value);
        if (event.success) onEvent(event.data);
        else onInvalid?.(`not a gateway event: ${describeIssues(event.error)}`);
      },
    });
    await this.nc.flush();
    return () => sub.unsubscribe();
  }

  async close(): Promise<void> {
    for (const [, waiter] of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new CapBusError('closed', 'the client was closed before the receipt arrived'));
    }
    this.waiters.clear();
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  /** JetStream stores the cap (deduplicated by cap_id); the worker answers on our inbox. */
  private async sendDurable(cap: Cap, subject: string, body: string | Uint8Array, meta: Parameters<typeof capHeaders>[0], timeout: number): Promise<Msg> {
    const replyTo = `${this.replyInbox()}.${cap.cap_id}`;
    const reply = new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(replyTo);
        reject(new CapBusError('timeout', `no receipt for ${cap.cap_id} within ${timeout} ms`));
      }, timeout);
      this.waiters.set(replyTo, { resolve, reject, timer });
    });
    try {
      await this.nc.jetstream().publish(subject, body, { msgID: cap.cap_id, headers: capHeaders({ ...meta, reply: replyTo }), timeout });
    } catch (error) {
      const waiter = this.waiters.get(replyTo);
      if (waiter) clearTimeout(waiter.timer);
      this.waiters.delete(replyTo);
      throw transportError(error, subject, cap.cap_id, timeout);
    }
    return reply;
  }

  private replyInbox(): string {
    if (this.inbox === null) {
      this.inbox = createInbox();
      this.nc.subscribe(`${this.inbox}.*`, {
        callback: (error, msg) => {
          const waiter = this.waiters.get(msg?.subject ?? '');
          if (error || !waiter) return; // a late or repeated answer: the emit already settled
          this.waiters.delete(msg.subject);
          clearTimeout(waiter.timer);
          waiter.resolve(msg);
        },
      });
    }
    return this.inbox;
  }

  /** A receipt reply, or the bus's refusal as a CapBusError; the causal clock follows the reply's rank. */
  private readReceipt(reply: Msg): CapReceipt {
    const { receipt, rank } = readReceiptReply(reply, this.options);
    if (rank !== undefined) this.clock = Math.max(this.clock, rank);
    return receipt;
  }
}

/**
 * What a reply to a cap says: its receipt (a sealed one opened, checked and, with `busKey`, held
 * to that key) and the causal rank the bus gave the cap; or the bus's refusal, or what makes the
 * reply unreadable, thrown as a CapBusError.
 */
export function readReceiptReply(reply: Msg, check: Pick<ClientOptions, 'backend' | 'busKey'> = {}): { receipt: CapReceipt; rank?: number } {
  const refusal = header(reply.headers, HEADER.error);
  if (refusal !== undefined) {
    let message = refusal;
    try {
      message = (JSON.parse(reply.string()) as { message?: string }).message ?? refusal;
    } catch {
      // the code alone still says what happened
    }
    throw new CapBusError(refusal, message);
  }
  const rank = Number(header(reply.headers, HEADER.lamport));

  let record: unknown;
  try {
    if (encodingOf(reply.headers) === 'cose') {
      const opened = openSealed(reply.data, { backend: check.backend });
      if (!opened.ok) throw new CapBusError('bad-receipt', `sealed receipt does not verify: ${opened.reason}`);
      if (check.busKey !== undefined && opened.kid_text !== check.busKey) throw new CapBusError('bad-receipt', `receipt is sealed with ${opened.kid_text}, not the bus key ${check.busKey}`);
      record = opened.record;
    } else {
      record = JSON.parse(reply.string());
    }
  } catch (error) {
    if (error instanceof CapBusError) throw error;
    throw new CapBusError('bad-receipt', `receipt is unreadable: ${(error as Error).message}`);
  }
  const receipt = ReceiptRecordSchema.safeParse(record);
  if (!receipt.success) throw new CapBusError('bad-receipt', `reply is not a receipt: ${describeIssues(receipt.error)}`);
  return { receipt: receipt.data, rank: Number.isSafeInteger(rank) ? rank : undefined };
}

function transportError(error: unknown, subject: string, capId: string, timeout: number): CapBusError {
  if (error instanceof NatsError) {
    if (error.code === ErrorCode.NoResponders) return new CapBusError('no-worker', `nothing answers on ${subject}: no bus worker (or, for a durable bus, no stream) is listening`);
    if (error.code === ErrorCode.Timeout) return new CapBusError('timeout', `no answer for ${capId} within ${timeout} ms`);
  }
  return new CapBusError('transport', `sending ${capId} failed: ${(error as Error).message}`);
}
