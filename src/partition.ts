/**
 * Partitions of a scaled-out bus (product.md §7): a cap's alignment group decides which one
 * worker schedules it. partition = FNV-1a 32-bit of the group's UTF-8 bytes, mod P. FNV-1a is
 * simple enough for any tool to recompute, and stable across runtimes and versions.
 */

export const DEFAULT_PARTITIONS = 16;
/** a bound that keeps the lease bucket small; far more than workers anyone runs */
export const MAX_PARTITIONS = 4096;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of utf8.encode(text)) hash = Math.imul(hash ^ byte, FNV_PRIME);
  return hash >>> 0;
}

/** The partition (0 … partitions − 1) of an alignment group. */
export function partitionOf(alignmentGroup: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) throw new RangeError(`partitions must be an integer from 1 to ${MAX_PARTITIONS}`);
  return fnv1a32(alignmentGroup) % partitions;
}
