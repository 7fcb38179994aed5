/** One line of the benchmark table. `target` says what the number is compared against. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: string;
  /** whether the measured value meets the target (undefined when there is none) */
  met?: boolean;
}

export function printTable(title: string, rows: readonly BenchRow[]): void {
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));
  const cells = rows.map((r) => [r.name, `${fmt(r.value)} ${r.unit}`, r.target ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO']);
  const head = ['measure', 'value', 'target / comparison', 'met'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(`\n${title}\n`);
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const c of cells) console.log(line(c));
}

/** Runs `work` (which processes `count` items) after a warm-up and returns the best items/s of `rounds`. */
export async function throughput(count: number, work: () => Promise<void> | void, rounds = 5): Promise<number> {
  await work();
  let best = 0;
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await work();
    best = Math.max(best, count / ((performance.now() - started) / 1000));
  }
  return best;
}

/** What `interleaved` measured: each workload's best items/s, and each round's rates. */
export interface Interleaved {
  best: number[];
  rounds: number[][];
}

/**
 * Items/s of each workload over `rounds`, the workloads taking turns within each round, so a
 * ratio between them can be taken round by round, from runs seconds apart, and not skewed by
 * whatever else the machine did during one of them.
 */
export async function interleaved(count: number, works: readonly (() => Promise<void> | void)[], rounds = 5): Promise<Interleaved> {
  const best = works.map(() => 0);
  const perRound: number[][] = [];
  for (const work of works) await work();
  for (let r = 0; r < rounds; r++) {
    const rates: number[] = [];
    for (const [i, work] of works.entries()) {
      const started = performance.now();
      await work();
      rates.push(count / ((performance.now() - started) / 1000));
      best[i] = Math.max(best[i]!, rates[i]!);
    }
    perRound.push(rates);
  }
  return { best, rounds: perRound };
}

/** The median of the round-by-round ratios work a / work b. */
export function medianRatio(measured: Interleaved, a: number, b: number): number {
  const ratios = measured.rounds.map((rates) => rates[a]! / rates[b]!).sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  return ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
}

/** Collects the heap when node runs with --expose-gc (npm run bench does), else does nothing. */
export const collect = (): void => (globalThis as { gc?: () => void }).gc?.();
