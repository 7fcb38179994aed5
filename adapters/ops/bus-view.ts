// the modules themselves, not the adapters' index files (those also export CLI parts, which import this)
import type { LaneLoad } from '../mux/lane-mux.js';
import type { ScheduleTraceRecord } from '../mux/trace.js';
import type { TwinGuard } from '../twin-guard/guard.js';

/** What operators can see inside a composed bus, beyond what its worker reports. */
export interface BusView {
  /** running and queued caps per busy lane */
  laneLoad(): LaneLoad[];
  /** adds a listener for the lane mux's schedule-trace records (one per settled cap) */
  onTrace(listener: (record: ScheduleTraceRecord) => void): void;
  /** the twin sync guard, when the bus has one */
  twin: TwinGuard | null;
}

/** A bus seen from outside only: no lanes, no trace, no twin guard. */
export const NO_VIEW: BusView = { laneLoad: () => [], onTrace: () => {}, twin: null };

/** One view of the parts that each show some of the bus; the first part that shows a thing wins. */
export function mergeViews(parts: readonly Partial<BusView>[]): BusView {
  const pick = <K extends keyof BusView>(key: K): BusView[K] => parts.find((part) => part[key] !== undefined)?.[key] ?? NO_VIEW[key];
  return { laneLoad: pick('laneLoad'), onTrace: pick('onTrace'), twin: pick('twin') };
}
