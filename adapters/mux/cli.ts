import { Option } from 'commander';
import { cliExtension } from '../node/cli/extension.js';
import { LaneMux } from './lane-mux.js';
import type { ScheduleTraceRecord } from './trace.js';

/**
 * The lane mux in the CLI: every run's bus gets one whose trace operators can watch (a serve
 * worker's console), and `--schedule-trace <file>` writes how it scheduled each cap, one JSON line
 * per cap.
 */
export const scheduleTraceCli = cliExtension<{ scheduleTrace?: string }>({
  runOptions: () => [new Option('--schedule-trace <file>', 'write how the lane mux scheduled each cap, one JSON line per cap')],
  compose(flags, tools) {
    const path = flags.scheduleTrace;
    const listeners: ((record: ScheduleTraceRecord) => void)[] = [];
    const trace: ScheduleTraceRecord[] = [];
    if (path !== undefined) listeners.push((record) => trace.push(record));
    const mux = new LaneMux({ onTrace: (record) => listeners.forEach((listener) => listener(record)) });
    return {
      phases: { schedule: mux },
      view: { laneLoad: () => mux.laneLoad(), onTrace: (listener) => listeners.push(listener) },
      ...(path === undefined ? {} : { finish: () => tools.writeText(path, trace.map((record) => JSON.stringify(record) + '\n').join('')) }),
    };
  },
});
