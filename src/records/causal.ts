/** What causal order reads of a placed cap. */
export interface CausalKey {
  causal_rank: number;
  actor_id: string;
  cap_id: string;
}

/**
 * The bus's total causal order (product.md §5): Lamport rank first; equal ranks (caps placed on
 * different nodes) break by actor_id, then cap_id, so every node orders them alike.
 */
export function compareCausal(a: CausalKey, b: CausalKey): number {
  if (a.causal_rank !== b.causal_rank) return a.causal_rank - b.causal_rank;
  if (a.actor_id !== b.actor_id) return a.actor_id < b.actor_id ? -1 : 1;
  if (a.cap_id !== b.cap_id) return a.cap_id < b.cap_id ? -1 : 1;
  return 0;
}
