import type { Clock } from './clock.js';

/**
 * How many cap_ids a running bus remembers, and for how long, so that a replayed cap is answered
 * with its first receipt instead of running again (product.md §6). Bounded both ways: memory
 * stays flat however long the bus runs. Durable NATS mode remembers for good in its KV store.
 */
export const REPLAY_WINDOW_SIZE = 10_000;
/** Five minutes: longer than any sender's retry, as JetStream's de-duplication window is. */
export const REPLAY_WINDOW_AGE_MS = 5 * 60_000;

export interface ReplayWindowLimits {
  /** entries kept; 0 turns the window off */
  size: number;
  /** an entry older than this (by the injected clock) is forgotten */
  ageMs: number;
}

/**
 * Keys seen recently, each with what the first one produced, oldest first in `order`. The order
 * is an array walked from `head`, not the Map itself: iterating a Map from its start after many
 * deletions skips every deleted slot, which made each call cost O(window).
 */
export class ReplayWindow<T> {
  private readonly entries = new Map<string, { at: number; value: T; turn: number }>();
  private order: { key: string; turn: number }[] = [];
  private head = 0;
  private turns = 0;

  constructor(
    private readonly limits: ReplayWindowLimits,
    private readonly clock: Clock,
  ) {}

  /** What the key's first sighting produced, while it is inside the window. */
  recall(key: string): T | undefined {
    this.expire();
    return this.entries.get(key)?.value;
  }

  remember(key: string, value: T): void {
    if (this.limits.size <= 0) return;
    const turn = ++this.turns;
    this.entries.set(key, { at: this.clock.now(), value, turn });
    this.order.push({ key, turn });
    while (this.entries.size > this.limits.size) this.dropOldest();
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  private expire(): void {
    const cutoff = this.clock.now() - this.limits.ageMs;
    for (let oldest = this.oldest(); oldest !== undefined && oldest.at <= cutoff; oldest = this.oldest()) this.dropOldest();
  }

  /** The live entry at the head of the order; stale order slots (forgotten or re-remembered keys) are passed over. */
  private oldest(): { at: number } | undefined {
    while (this.head < this.order.length) {
      const { key, turn } = this.order[this.head]!;
      const entry = this.entries.get(key);
      if (entry !== undefined && entry.turn === turn) return entry;
      this.head++;
    }
    return undefined;
  }

  private dropOldest(): void {
    if (this.oldest() === undefined) return;
    this.entries.delete(this.order[this.head]!.key);
    this.head++;
    // keep the order array about as long as the window: compact once half of it is behind us
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
