import type { Cap } from '../../src/records/cap.js';
import type { CausalHint, Placer } from '../../src/pipeline/phases.js';

/**
 * A real Lamport clock (the reference only counted): every placement ticks past the local clock
 * and past whatever clock the sender presented, so ranks are unique within this runtime and
 * greater than every rank the sender had seen. A child placed here after its parent outranks it
 * by the clock alone; a child arriving from elsewhere carries its parent's rank as the hint
 * (the chain runner and the NATS `Tibet-Lamport` header both do).
 */
/**
 * The largest clock a sender may present. Ranks must stay exact integers; a clock beyond 2^52
 * (a broken or hostile sender) would push every later rank toward the end of the safe range.
 */
export const MAX_PRESENTED_CLOCK = 2 ** 52;

export class LamportPlacer implements Placer {
  private clock = 0;

  place(cap: Cap, hint: CausalHint) {
    const l = hint.lamport;
    const presented = l !== undefined && Number.isInteger(l) && l > 0 && l <= MAX_PRESENTED_CLOCK ? l : 0;
    this.clock = Math.max(this.clock, presented) + 1;
    return { causal_rank: this.clock, details: { causal_rank: this.clock, algorithm: 'lamport', parent_id: cap.parent_id } };
  }

  /** The highest rank placed so far (what a worker advertises as its clock). */
  current(): number {
    return this.clock;
  }
}
