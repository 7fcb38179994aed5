import type { Msg, Subscription } from 'nats';
import { systemClock } from '../../src/clock.js';
import { partitionOf } from '../../src/partition.js';
import { ReplayWindow } from '../../src/replay-window.js';
import { HandOffOutbox } from './hand-off-outbox.js';
import { arrivalOf, BAD_HAND_OFF, handOffOf, HandOffSchema, NOT_OWNER, TAKEN, type Arrival } from './hand-off.js';
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
 * `<prefix>.part.<p>`, with the others queued for that partition in the same turn (one request,
 * see HandOffOutbox); the owner answers `taken` for each at once; with no owner (a hand-over),
 * the sender tries again until one takes it. The owner runs what it takes. A worker that owns
 * the partition itself runs the cap without the hop, exactly as if it had taken it.
 */
export class PartitionRouter implements Router {
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly running = new Map<number, Set<Promise<void>>>();
  /** hand-off ids taken here, oldest out first (a Set's oldest costs O(n) to find after many deletions) */
  private readonly seen = new ReplayWindow<true>({ size: REMEMBERED, ageMs: Number.POSITIVE_INFINITY }, systemClock);
  private readonly outbox: HandOffOutbox;
  private giveUp = false;
  /** whether this worker may start caps of a partition now (its lease) */
  serving: (partition: number) => boolean = () => false;

  constructor(
    private readonly io: WorkerIo,
    readonly partitions: number,
    private readonly run: (arrival: Arrival) => Promise<void>,
  ) {
    this.outbox = new HandOffOutbox(io.nc, HAND_OFF_TIMEOUT_MS);
  }

  async deliver(arrival: Arrival, waiting?: () => void): Promise<void> {
    const p = partitionOf(arrival.admitted.distributed.alignment_group, this.partitions);
    if (this.serving(p)) {
      this.start(p, arrival);
      return;
    }
    const json = JSON.stringify(handOffOf(arrival));
    for (let attempt = 0; ; attempt++) {
      // null: no owner answered (none subscribed, the timeout, the connection closed)
      const answer = await this.outbox.send(this.io.subjects.part(p), json);
      if (answer === TAKEN) return;
      if (answer !== NOT_OWNER && answer !== null) throw new Error(`the owner of partition ${p} refused the hand-off: ${answer}`);
      if (this.giveUp || this.io.nc.isClosed()) throw new Refused('unavailable', `the worker stopped before partition ${p} of this cap had an owner; send it again`);
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

  /** A message of hand-offs: each is checked alone, so a bad one is answered (and never run) without holding up the rest. */
  private take(p: number, msg: Msg): void {
    if (!this.serving(p)) {
      msg.respond(NOT_OWNER);
      return;
    }
    let items: unknown[];
    try {
      items = handOffsIn(msg.data);
    } catch (error) {
      msg.respond(this.bad(msg, error));
      return;
    }
    const receivedAt = performance.now();
    msg.respond(JSON.stringify(items.map((item) => this.takeOne(p, msg, item, receivedAt))));
  }

  private takeOne(p: number, msg: Msg, item: unknown, receivedAt: number): string {
    let arrival: Arrival;
    try {
      const handOff = HandOffSchema.parse(item);
      const own = partitionOf(handOff.admitted.distributed.alignment_group, this.partitions);
      if (own !== p) throw new Error(`cap of partition ${own} sent to partition ${p}`);
      arrival = arrivalOf(handOff, receivedAt);
    } catch (error) {
      return this.bad(msg, error);
    }
    if (!this.remembered(arrival.hand_off)) this.start(p, arrival);
    return TAKEN;
  }

  /** Only workers publish here (README: permissions): a bad hand-off is a bug or a misconfiguration, never run. */
  private bad(msg: Msg, error: unknown): string {
    this.io.log({ level: 'error', msg: BAD_HAND_OFF, subject: msg.subject, error: describe(error), worker: this.io.settings.id });
    return `${BAD_HAND_OFF}: ${describe(error)}`;
  }

  /** Runs a cap of a partition served here; letting the partition go waits for it. */
  private start(p: number, arrival: Arrival): void {
    const work = this.run(arrival);
    const running = this.running.get(p) ?? new Set();
    this.running.set(p, running);
    running.add(work);
    this.io.track(work.finally(() => running.delete(work)));
  }

  private remembered(id: string): boolean {
    if (this.seen.recall(id)) return true;
    this.seen.remember(id, true);
    return false;
  }
}

/** The items of a message of hand-offs, each still to be checked; throws when it is not a JSON array of some. */
function handOffsIn(data: Uint8Array): unknown[] {
  const items: unknown = JSON.parse(text.decode(data));
  if (!Array.isArray(items) || items.length === 0) throw new Error('the message is not a JSON array of hand-offs');
  return items;
}
