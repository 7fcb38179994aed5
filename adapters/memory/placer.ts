import type { Cap } from '../../src/cap.js';
import type { CausalHint, Placer } from '../../src/phases.js';

/**
 * A real Lamport clock (the reference only counted): every placement ticks past the local clock,
 * the parent's rank and whatever clock the sender presented, so rank(child) > rank(parent),
 * rank > every rank the sender had seen, and ranks stay unique within this runtime.
 */
export class LamportPlacer implements Placer {
  private clock = 0;
  /**
   * Ranks of recent caps, so a child is placed after a parent this runtime saw. Two generations
   * bound memory in O(1): when the young map fills, it becomes the old one and the oldest go.
   */
  private young = new Map<string, number>();
  private old = new Map<string, number>();

  constructor(private readonly rememberLimit = 100_000) {}

  place(cap: Cap, hint: CausalHint) {
    const parentRank = cap.parent_id === null ? 0 : (this.young.get(cap.parent_id) ?? this.old.get(cap.parent_id) ?? 0);
    const presented = hint.lamport !== undefined && Number.isSafeInteger(hint.lamport) ? hint.lamport : 0;
    this.clock = Math.max(this.clock, parentRank, presented) + 1;
    this.remember(cap.cap_id, this.clock);
    return { causal_rank: this.clock, details: { causal_rank: this.clock, algorithm: 'lamport', parent_id: cap.parent_id } };
  }

  /** The highest rank placed so far (what a NATS worker advertises as its clock). */
  current(): number {
    return this.clock;
  }

  private remember(capId: string, rank: number) {
    this.young.set(capId, rank);
    if (this.young.size >= this.rememberLimit / 2) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
