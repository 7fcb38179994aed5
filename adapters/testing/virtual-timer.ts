import type { Timer } from '../memory/executor.js';

interface Sleeper {
  at: number;
  order: number;
  wake: () => void;
}

/** Lets every pending promise reaction run: nothing here waits on real I/O or real timers. */
const quiesce = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A timer whose sleeps end only when `run` advances virtual time to them, earliest first
 * (ties in the order they were asked for), so a scenario replays identically and instantly.
 * Given the bus's manual clock, it moves that clock along, so measured latencies are the
 * virtual durations.
 */
export class VirtualTimer implements Timer {
  private nowMs = 0;
  private order = 0;
  private readonly sleepers: Sleeper[] = [];

  constructor(private readonly clock?: { advance(ms: number): void }) {}

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ at: this.nowMs + Math.max(0, ms), order: this.order++, wake });
    });
  }

  /** Drives virtual time until `work` settles; throws if it can never settle (something was lost). */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const mark = () => {
      settled = true;
    };
    work.then(mark, mark);
    for (;;) {
      await quiesce();
      if (settled) return work;
      const next = this.takeEarliest();
      if (next === undefined) throw new Error('virtual time stalled: work is still pending but nothing is asleep (a cap never settled)');
      this.clock?.advance(next.at - this.nowMs);
      this.nowMs = next.at;
      next.wake();
    }
  }

  private takeEarliest(): Sleeper | undefined {
    let best = -1;
    this.sleepers.forEach((s, i) => {
      const b = this.sleepers[best];
      if (b === undefined || s.at < b.at || (s.at === b.at && s.order < b.order)) best = i;
    });
    return best < 0 ? undefined : this.sleepers.splice(best, 1)[0];
  }
}
