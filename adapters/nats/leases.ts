import type { JetStreamClient, KV, KvEntry } from 'nats';
import { fnv1a32 } from '../../src/partition.js';
import type { Logger } from './log.js';
import { isWrongRevision } from './receipt-store.js';

/**
 * One owner per partition (product.md §7), with leases in a JetStream KV bucket:
 * - `config` records the deployment's partition count; a worker started with another refuses.
 * - `partition.<p>` names its owner. The owner renews it (an update fenced by the revision it
 *   last wrote) every third of the lease time, and deletes it when it lets the partition go.
 * - `worker.<id>` is each worker's heartbeat, so every worker can count the others and claim
 *   its fair share, ceil(P / workers).
 * Expiry needs no shared clock: a lease whose revision has not changed for the lease time, as
 * this worker saw it change, is free, and is taken with an update fenced by that revision. The
 * owner stops serving a partition once the lease time has passed since it sent its last renewal
 * that succeeded, which is never later than anyone else may take it over.
 * A worker holds its first share once a round leaves it at its fair share, or short of it with
 * nothing more to come: no partition free and no other worker above the fair share (so none will
 * hand one back). Readiness waits for it.
 */

export const DEFAULT_LEASE_MS = 5_000;
export const CONFIG_KEY = 'config';

export interface LeaseOptions {
  bucket: string;
  partitions: number;
  leaseMs: number;
  workerId: string;
  log: Logger;
  /** start serving a partition just claimed */
  gained(partition: number): Promise<void>;
  /** stop serving a partition; resolves once no cap of it is running here */
  losing(partition: number): Promise<void>;
  /** a monotonic clock in ms */
  now?: () => number;
}

interface Seen {
  revision: number;
  live: boolean;
  /** when this worker saw this revision first */
  at: number;
  /** the worker a partition lease names (null: not a lease, or deleted) */
  owner: string | null;
}

interface Lease {
  revision: number;
  /** the end of the lease as this worker may count on it */
  validUntil: number;
  /** being handed back: no new caps, the running ones finish first */
  releasing: boolean;
}

const partitionKey = (p: number) => `partition.${p}`;
/** KV key tokens are [-/_=a-zA-Z0-9]; a worker id has colons and dots */
const workerKey = (id: string) => `worker.${id.replace(/[^A-Za-z0-9_=-]/g, '_')}`;

export class PartitionLeases {
  private readonly seen = new Map<string, Seen>();
  private readonly leases = new Map<number, Lease>();
  private readonly now: () => number;
  private readonly renewEveryMs: number;
  private readonly tickMs: number;
  private readonly owner: string;
  private timers: ReturnType<typeof setInterval>[] = [];
  private watcher: { stop(): void } | null = null;
  private balancing = false;
  private renewing = false;
  private stopped = false;
  private firstShare = false;

  private constructor(
    private readonly kv: KV,
    private readonly options: LeaseOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.renewEveryMs = Math.max(1, Math.floor(options.leaseMs / 3));
    this.tickMs = Math.max(10, Math.min(250, Math.floor(options.leaseMs / 10)));
    this.owner = JSON.stringify({ owner: options.workerId });
  }

  /** Opens the bucket, checks the recorded partition count, claims a first share and keeps balancing. */
  static async open(js: JetStreamClient, options: LeaseOptions): Promise<PartitionLeases> {
    const kv = await js.views.kv(options.bucket, { history: 1 });
    await checkPartitionCount(kv, options.bucket, options.partitions);
    const leases = new PartitionLeases(kv, options);
    await leases.start();
    return leases;
  }

  /** Whether caps of this partition may start here now. */
  serving(partition: number): boolean {
    const lease = this.leases.get(partition);
    return lease !== undefined && !lease.releasing && this.now() < lease.validUntil;
  }

  /** Whether a worker's heartbeat changed within the lease time (this worker always is). */
  alive(workerId: string): boolean {
    if (workerId === this.options.workerId) return true;
    const seen = this.seen.get(workerKey(workerId));
    return seen !== undefined && this.fresh(seen, this.now());
  }

  /** Whether this worker has held its first share of partitions (see above); true from then on. */
  hasFirstShare(): boolean {
    return this.firstShare;
  }

  /** The partitions this worker owns, ascending. */
  owned(): number[] {
    return [...this.leases.keys()].sort((a, b) => a - b);
  }

  /** Graceful: lets every partition go (its running caps finish first) and removes the heartbeat. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.leases.keys()].map((p) => this.release(p)));
    await this.kv.delete(workerKey(this.options.workerId)).catch(() => {});
    this.watcher?.stop();
  }

  /** Stops renewing and watching without a word to anyone: what a crash or a cut-off looks like to the others. */
  abandon(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.watcher?.stop();
  }

  private async start(): Promise<void> {
    const watch = await this.kv.watch({ key: '>' });
    this.watcher = watch;
    let initial!: () => void;
    const caughtUp = new Promise<void>((done) => (initial = done));
    void (async () => {
      for await (const entry of watch) {
        this.observe(entry);
        if (entry.delta === 0) initial();
      }
    })();
    // an empty bucket sends nothing to catch up on
    await Promise.race([caughtUp, new Promise((done) => setTimeout(done, 200))]);
    await this.renew();
    await this.balance();
    const renew = setInterval(() => void this.renew(), this.renewEveryMs);
    const balance = setInterval(() => void this.balance(), this.tickMs);
    renew.unref();
    balance.unref();
    this.timers = [renew, balance];
  }

  private observe(entry: KvEntry): void {
    const before = this.seen.get(entry.key);
    if (before && before.revision >= entry.revision) return;
    const live = entry.operation === 'PUT';
    this.seen.set(entry.key, { revision: entry.revision, live, at: this.now(), owner: live && entry.key.startsWith('partition.') ? ownerOf(entry) : null });
  }

  /** The heartbeat, then every lease, each fenced by the revision this worker wrote last. */
  private async renew(): Promise<void> {
    if (this.renewing || this.stopped) return;
    this.renewing = true;
    const sentAt = this.now();
    try {
      await this.kv.put(workerKey(this.options.workerId), this.owner).catch((error) => this.warn('heartbeat failed', error));
      await Promise.all(
        [...this.leases].map(async ([p, lease]) => {
          try {
            lease.revision = await this.kv.update(partitionKey(p), this.owner, lease.revision);
            lease.validUntil = sentAt + this.options.leaseMs;
          } catch (error) {
            if (!isWrongRevision(error)) return this.warn(`renewing partition ${p} failed`, error);
            if (this.leases.get(p) !== lease) return; // released meanwhile
            // someone holds it now: only possible once our lease had lapsed, so we no longer serve it
            this.options.log({ level: 'warn', msg: 'partition lost', partition: p, worker: this.options.workerId });
            this.leases.delete(p);
            await this.options.losing(p);
          }
        }),
      );
    } finally {
      this.renewing = false;
    }
  }

  /** Lets lapsed leases go, then claims up to the fair share or hands back what is over it. */
  private async balance(): Promise<void> {
    if (this.balancing || this.stopped) return;
    this.balancing = true;
    try {
      const now = this.now();
      for (const [p, lease] of this.leases) {
        if (now >= lease.validUntil && !lease.releasing) {
          this.options.log({ level: 'warn', msg: 'partition lease lapsed (renewals failed)', partition: p, worker: this.options.workerId });
          this.leases.delete(p);
          await this.options.losing(p);
        }
      }
      const fair = Math.ceil(this.options.partitions / this.workers(now));
      const kept = this.kept();
      if (kept > fair) {
        for (const p of this.owned().filter((q) => !this.leases.get(q)!.releasing).slice(fair)) void this.release(p);
      } else if (kept < fair) {
        let wanted = fair - kept;
        for (const p of this.freePartitions(now)) {
          if (wanted === 0 || this.stopped) break;
          if (await this.claim(p)) wanted--;
        }
      }
      if (!this.firstShare && this.shareSettled(fair)) {
        this.firstShare = true;
        this.options.log({ level: 'info', msg: 'first share held', worker: this.options.workerId, owned: this.owned() });
      }
    } catch (error) {
      this.warn('balancing partitions failed', error);
    } finally {
      this.balancing = false;
    }
  }

  /**
   * After a round: at the fair share, or short of it with nothing more to come (no partition free,
   * no other worker holding more than the fair share, so none will hand one back).
   */
  private shareSettled(fair: number): boolean {
    const now = this.now();
    if (this.kept() >= fair) return true;
    if (this.freePartitions(now).length > 0) return false;
    const others = new Map<string, number>();
    for (const seen of this.seen.values()) {
      if (seen.owner !== null && seen.owner !== this.options.workerId && this.fresh(seen, now)) others.set(seen.owner, (others.get(seen.owner) ?? 0) + 1);
    }
    return [...others.values()].every((count) => count <= fair);
  }

  /** Leases this worker keeps (not being handed back). */
  private kept(): number {
    let count = 0;
    for (const lease of this.leases.values()) if (!lease.releasing) count++;
    return count;
  }

  /** Live workers: this one and every heartbeat that changed within the lease time. */
  private workers(now: number): number {
    const mine = workerKey(this.options.workerId);
    let count = 1;
    for (const [key, seen] of this.seen) if (key.startsWith('worker.') && key !== mine && this.fresh(seen, now)) count++;
    return count;
  }

  private fresh(seen: Seen, now: number): boolean {
    return seen.live && now - seen.at < this.options.leaseMs;
  }

  /** Partitions without a live lease, starting at a point of this worker's own so joiners spread out. */
  private freePartitions(now: number): number[] {
    const { partitions } = this.options;
    const start = fnv1a32(this.options.workerId) % partitions;
    const free: number[] = [];
    for (let i = 0; i < partitions; i++) {
      const p = (start + i) % partitions;
      const seen = this.seen.get(partitionKey(p));
      if (!this.leases.has(p) && (seen === undefined || !this.fresh(seen, now))) free.push(p);
    }
    return free;
  }

  /** Takes a free or lapsed lease, fenced by the revision seen; false when another worker was first. */
  private async claim(p: number): Promise<boolean> {
    const seen = this.seen.get(partitionKey(p));
    const sentAt = this.now();
    // judged again now: while earlier claims of this round were awaited, another worker may have taken it
    if (seen !== undefined && this.fresh(seen, sentAt)) return false;
    try {
      const revision = seen === undefined ? await this.kv.create(partitionKey(p), this.owner) : await this.kv.update(partitionKey(p), this.owner, seen.revision);
      this.leases.set(p, { revision, validUntil: sentAt + this.options.leaseMs, releasing: false });
    } catch (error) {
      if (isWrongRevision(error)) return false;
      throw error;
    }
    this.options.log({ level: 'info', msg: 'partition claimed', partition: p, worker: this.options.workerId, ...(seen?.live ? { taken_over: true } : {}) });
    await this.options.gained(p);
    return true;
  }

  /** Hands a partition back: no new caps, the running ones finish, then the lease is deleted (still renewed meanwhile). */
  private async release(p: number): Promise<void> {
    const lease = this.leases.get(p);
    if (!lease || lease.releasing) return;
    lease.releasing = true;
    await this.options.losing(p);
    // a renewal in flight would change the revision the delete is fenced by
    while (this.renewing) await new Promise((done) => setTimeout(done, 5));
    this.leases.delete(p);
    await this.kv.delete(partitionKey(p), { previousSeq: lease.revision }).catch((error) => this.warn(`releasing partition ${p} failed`, error));
    this.options.log({ level: 'info', msg: 'partition released', partition: p, worker: this.options.workerId });
  }

  private warn(msg: string, error: unknown): void {
    this.options.log({ level: 'warn', msg, worker: this.options.workerId, error: error instanceof Error ? error.message : String(error) });
  }
}

/** The owner a lease names; null when its value names none. */
function ownerOf(entry: KvEntry): string | null {
  try {
    const owner = entry.json<{ owner?: unknown }>().owner;
    return typeof owner === 'string' ? owner : null;
  } catch {
    return null;
  }
}

/** Records the partition count on first use; throws, saying why, when the deployment has another. */
async function checkPartitionCount(kv: KV, bucket: string, partitions: number): Promise<void> {
  const mine = JSON.stringify({ partitions });
  let entry = await kv.get(CONFIG_KEY);
  if (entry === null || entry.operation !== 'PUT') {
    try {
      await kv.create(CONFIG_KEY, mine);
      return;
    } catch (error) {
      if (!isWrongRevision(error)) throw error;
      entry = await kv.get(CONFIG_KEY); // another worker recorded it first
    }
  }
  const recorded = entry === null ? undefined : (entry.json<{ partitions?: unknown }>().partitions as unknown);
  if (recorded !== partitions) {
    throw new Error(
      `this deployment has ${String(recorded)} partitions (recorded in KV bucket ${bucket}, key ${CONFIG_KEY}) and this worker was started with --partitions ${partitions}: ` +
        `caps would be routed to the wrong owners, so it does not start; use --partitions ${String(recorded)}, or a --subject-prefix of its own for a new deployment`,
    );
  }
}
