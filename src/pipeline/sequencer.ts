/**
 * Lets work pass in the order it arrived although what each piece waits for (a signature checked
 * or made off the main thread) may be ready out of order: placement keeps arrival order, and
 * results settle in the order their receipts were made. With nothing waiting, ready work passes
 * at once, in the caller's own call: a lone cap pays no promise and no delay for it.
 */
export class Sequencer {
  private readonly queue: (Waiting | undefined)[] = [];
  private head = 0;
  private draining = false;

  /** how many have arrived and not passed yet */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Runs `then` with what `ready` gives, after everything that arrived earlier has passed. */
  pass<T, R>(ready: T | PromiseLike<T>, then: (value: T) => R): R | Promise<Awaited<R>> {
    if (this.waiting === 0 && !isThenable(ready)) return then(ready);
    return new Promise<Awaited<R>>((resolve, reject) => {
      const entry: Waiting = { run: null };
      this.queue.push(entry);
      const settle = (run: () => void) => {
        entry.run = run;
        this.drain();
      };
      const passWith = (value: T) => () => {
        try {
          resolve(then(value) as Awaited<R>);
        } catch (error) {
          reject(error);
        }
      };
      if (isThenable(ready)) ready.then((value) => settle(passWith(value)), (error: unknown) => settle(() => reject(error)));
      else settle(passWith(ready));
    });
  }

  private drain(): void {
    // a `then` that makes more work arrive must not pass it ahead of what is already queued
    if (this.draining) return;
    this.draining = true;
    try {
      for (let entry = this.queue[this.head]; entry?.run; entry = this.queue[this.head]) {
        this.queue[this.head++] = undefined;
        entry.run();
      }
      // under steady load the queue never empties: drop the passed front now and then
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
    } finally {
      this.draining = false;
    }
  }
}

/** passed entries kept at the queue's front before it is compacted */
const COMPACT_AFTER = 1024;

interface Waiting {
  /** set once what the entry waited for is ready: passes it (or rejects it) */
  run: (() => void) | null;
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
