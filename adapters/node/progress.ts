import type { Writable } from 'node:stream';

/** A run shorter than this shows no progress at all. */
export const PROGRESS_AFTER_MS = 1000;
const REDRAW_MS = 250;

export interface ProgressOptions {
  /** where the line goes (stderr) */
  stream: Writable & { isTTY?: boolean };
  /** true: --progress, false: --no-progress, undefined: only on a terminal */
  wanted?: boolean;
  /** roots in the run, when known before it starts */
  totalRoots?: number;
  now?: () => number;
}

export interface Progress {
  /** one root's chain is done (its `caps` results written) */
  chainDone(caps: number): void;
  /** the run is over: the line is finished (or never appears) */
  end(): void;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * One stderr line that says how far a long run is: caps done, rate, elapsed, and roots done out
 * of the total when known. On a terminal it redraws in place; forced onto something else
 * (`--progress` into a file or pipe) it writes a line per redraw. Never shows for a run shorter
 * than PROGRESS_AFTER_MS.
 */
export function startProgress(options: ProgressOptions): Progress {
  const { stream } = options;
  const tty = stream.isTTY === true;
  if (options.wanted === false || (options.wanted === undefined && !tty)) return { chainDone: () => {}, end: () => {} };
  const now = options.now ?? (() => performance.now());
  const started = now();
  let caps = 0;
  let roots = 0;
  let shown = false;
  let drawn = started;
  const line = () => {
    const seconds = (now() - started) / 1000;
    const of = options.totalRoots === undefined ? `${count(roots)} roots` : `${count(roots)}/${count(options.totalRoots)} roots`;
    return `tibet-cap-bus: ${count(caps)} caps (${of}), ${count(caps / Math.max(seconds, 1e-3))} caps/s, ${seconds.toFixed(1)} s`;
  };
  return {
    chainDone(n) {
      caps += n;
      roots++;
      // drawn from here, not from a timer: a busy run may not give timers a turn
      const at = now();
      if (at - drawn < REDRAW_MS || at - started < PROGRESS_AFTER_MS) return;
      drawn = at;
      shown = true;
      stream.write(tty ? `\r${line()}\x1b[K` : `${line()}\n`);
    },
    end() {
      if (shown) stream.write(tty ? `\r${line()}\x1b[K\n` : `${line()}\n`);
    },
  };
}
