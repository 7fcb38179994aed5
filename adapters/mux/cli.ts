import { closeSync, openSync, writeSync } from 'node:fs';
import { Option } from 'commander';
import { cliExtension } from '../node/cli/extension.js';
import { wholeNumber } from '../node/cli/options.js';
import { LaneMux } from './lane-mux.js';
import type { ScheduleTraceRecord } from './trace.js';

/** Trace lines gathered before one write to the file. */
const LINES_PER_WRITE = 512;

/**
 * The lane mux in the CLI: every run's bus gets one whose trace operators can watch (a serve
 * worker's console), `--max-running <n>` bounds the caps it runs at once (the run's, or a
 * worker's, executor capacity), and `--schedule-trace <file>` writes how it scheduled each cap,
 * one JSON line per cap, to the file as the run goes (a large run's trace is never held whole).
 */
export const laneMuxCli = cliExtension<{ scheduleTrace?: string; maxRunning?: number }>({
  runOptions: () => [
    new Option('--schedule-trace <file>', 'write how the lane mux scheduled each cap, one JSON line per cap'),
    new Option(
      '--max-running <n>',
      'executor capacity: most caps running at once over all lanes (serve: per worker, over the partitions it owns); a freed slot goes to the ready lane of highest priority (default: unlimited)',
    ).argParser(wholeNumber('--max-running', 1)),
  ],
  compose(flags, tools) {
    const path = flags.scheduleTrace;
    const listeners: ((record: ScheduleTraceRecord) => void)[] = [];
    const mux = new LaneMux({ maxRunning: flags.maxRunning, onTrace: (record) => listeners.forEach((listener) => listener(record)) });
    const part = { phases: { schedule: mux }, view: { laneLoad: () => mux.laneLoad(), onTrace: (listener: (record: ScheduleTraceRecord) => void) => listeners.push(listener) } };
    if (path === undefined) return part;
    // creates (or empties) the file, with the CLI's error naming it when that fails
    tools.writeText(path, '');
    const fd = openSync(path, 'a');
    let lines: string[] = [];
    const flush = () => {
      if (lines.length > 0) writeSync(fd, lines.join(''));
      lines = [];
    };
    listeners.push((record) => {
      lines.push(JSON.stringify(record) + '\n');
      if (lines.length >= LINES_PER_WRITE) flush();
    });
    return {
      ...part,
      finish: () => {
        flush();
        closeSync(fd);
      },
    };
  },
});
