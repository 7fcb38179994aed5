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

/** Keys seen recently, each with what the first one produced. Insertion order is age order. */
export class ReplayWindow<T> {
  private readonly entries = new Map<string, { at: number; value: T }>();

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
    this.entries.delete(key);
    this.entries.set(key, { at: this.clock.now(), value });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limits.size) break;
      this.entries.delete(oldest);
    }
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  private expire(): void {
    const cutoff = this.clock.now() - this.limits.ageMs;
    for (const [key, entry] of this.entries) {
      if (entry.at > cutoff) break;
      this.entries.delete(key);
    }
  }
}
