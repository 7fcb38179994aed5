import { ErrorCode, type Msg, type NatsError, type Subscription } from 'nats';
import { partitionOf } from '../../src/partition.js';
import { HandOffSchema, NOT_OWNER, TAKEN, type Arrival } from './hand-off.js';
import { capHeaders, readCapMeta } from './headers.js';
import { Refused } from './refusal.js';
import { describe, type Router, type WorkerIo } from './worker.js';

/** How long a hand-off waits for the owner's answer before it is sent again (the owner may have died). */
const HAND_OFF_TIMEOUT_MS = 5_000;
/** hand-off ids remembered per owner, so one sent again after its answer was lost does not run twice */
const REMEMBERED = 65_536;

const text = new TextDecoder();

/** Unpartitioned: the worker that takes a cap schedules and runs it (each worker has its own lanes). */
export class LocalRouter implements Router {
  constructor(
    private readonly io: WorkerIo,
    private readonly run: (arrival: Arrival) => Promise<void>,
  ) {}

  deliver(arrival: Arrival): Promise<void> {
    this.io.track(this.run(arrival));
    return Promise.resolve();
  }
}

/**
 * Partitioned (product.md §7): a cap goes to the owner of its partition over
 * `<prefix>.part.<p>`, as a request the owner answers `taken` at once; with no owner (a
 * hand-over), the sender tries again until one takes it. The owner runs what it takes. A worker
 * that owns the partition itself runs the cap without the hop, exactly as if it had taken it.
 */
export class PartitionRouter implements Router {
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly running = new Map<number, Set<Promise<void>>>();
  private readonly seen = new Set<string>();
  private giveUp = false;
  /** whether this worker may start caps of a partition now (its lease) */
  serving: (partition: number) => boolean = () => false;

  constructor(
    private readonly io: WorkerIo,
    readonly partitions: number,
    private readonly run: (arrival: Arrival) => Promise<void>,
  ) {}

  async deliver(arrival: Arrival, waiting?: () => void): Promise<void> {
    const { nc, subjects } = this.io;
    const p = partitionOf(arrival.admitted.distributed.alignment_group, this.partitions);
    if (this.serving(p)) {
      this.start(p, arrival);
      return;
    }
    const { encoding, lamport, hop, maxHops, reply } = arrival.meta;
    const headers = capHeaders({ encoding, lamport, hop, maxHops, reply });
    const body = JSON.stringify({ hand_off: arrival.hand_off, cap_id: arrival.cap_id, admitted: arrival.admitted, ack: arrival.ack });
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = text.decode((await nc.request(subjects.part(p), body, { headers, timeout: HAND_OFF_TIMEOUT_MS })).data);
        if (answer === TAKEN) return;
        if (answer !== NOT_OWNER) throw new Error(`the owner of partition ${p} refused the hand-off: ${answer}`);
      } catch (error) {
        const code = (error as NatsError).code;
        if (code !== ErrorCode.NoResponders && code !== ErrorCode.Timeout && code !== ErrorCode.Disconnect) throw error;
      }
      if (this.giveUp || nc.isClosed()) throw new Refused('unavailable', `the worker stopped before partition ${p} of this cap had an owner; send it again`);
      waiting?.();
      await new Promise((done) => setTimeout(done, Math.min(25 * 2 ** attempt, 500)));
    }
  }

  /** Stops waiting for owners: caps still waiting are answered `unavailable` (durable ones are redelivered). */
  stopWaiting(): void {
    this.giveUp = true;
  }

  /** Starts taking the caps of a partition this worker now owns. */
  async serve(p: number): Promise<void> {
    const sub = this.io.nc.subscribe(this.io.subjects.part(p), { callback: (_error, msg) => this.take(p, msg) });
    this.subscriptions.set(p, sub);
    await this.io.nc.flush();
  }

  /** Stops taking a partition's caps; resolves once none of its caps runs here any more. */
  async unserve(p: number): Promise<void> {
    const sub = this.subscriptions.get(p);
    this.subscriptions.delete(p);
    // drain: hand-offs already on their way get their answer (not-owner: sent again to the next owner)
    if (sub && !this.io.nc.isClosed()) await sub.drain().catch(() => {});
    await Promise.allSettled([...(this.running.get(p) ?? [])]);
  }

  private take(p: number, msg: Msg): void {
    if (!this.serving(p)) {
      msg.respond(NOT_OWNER);
      return;
    }
    let arrival: Arrival;
    try {
      arrival = this.read(p, msg);
    } catch (error) {
      // only workers publish here (README: permissions); a bad hand-off is a bug or a misconfiguration, never run
      this.io.log({ level: 'error', msg: 'bad hand-off', subject: msg.subject, error: describe(error), worker: this.io.settings.id });
      msg.respond(`bad hand-off: ${describe(error)}`);
      return;
    }
    msg.respond(TAKEN);
    if (!this.remembered(arrival.hand_off)) this.start(p, arrival);
  }

  /** Runs a cap of a partition served here; letting the partition go waits for it. */
  private start(p: number, arrival: Arrival): void {
    const work = this.run(arrival);
    const running = this.running.get(p) ?? new Set();
    this.running.set(p, running);
    running.add(work);
    this.io.track(work.finally(() => running.delete(work)));
  }

  private read(p: number, msg: Msg): Arrival {
    const meta = readCapMeta(msg.headers, this.io.settings.maxHops);
    const handOff = HandOffSchema.parse(JSON.parse(text.decode(msg.data)));
    const own = partitionOf(handOff.admitted.distributed.alignment_group, this.partitions);
    if (own !== p) throw new Error(`cap of partition ${own} sent to partition ${p}`);
    return { ...handOff, meta, receivedAt: performance.now() };
  }

  private remembered(id: string): boolean {
    if (this.seen.has(id)) return true;
    this.seen.add(id);
    // a Set iterates in insertion order: the first is the oldest
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value!);
    return false;
  }
}
