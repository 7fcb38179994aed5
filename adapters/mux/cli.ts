import { Option } from 'commander';
import { cliExtension } from '../node/cli/extension.js';
import { LaneMux } from './lane-mux.js';
import type { ScheduleTraceRecord } from './trace.js';

/** `--schedule-trace <file>`: the lane mux writes how it scheduled each cap, one JSON line per cap. */
export const scheduleTraceCli = cliExtension<{ scheduleTrace?: string }>({
  runOptions: () => [new Option('--schedule-trace <file>', 'write how the lane mux scheduled each cap, one JSON line per cap')],
  compose(flags, tools) {
    const path = flags.scheduleTrace;
    if (path === undefined) return undefined;
    const trace: ScheduleTraceRecord[] = [];
    return {
      phases: { schedule: new LaneMux({ onTrace: (record) => trace.push(record) }) },
      finish: () => tools.writeText(path, trace.map((record) => JSON.stringify(record) + '\n').join('')),
    };
  },
});
