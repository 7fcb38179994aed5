import type { Reading, TwinSide } from './state.js';

/** The latest state of each side of one device. */
export type Sides = Partial<Record<TwinSide, Reading>>;

/**
 * Where the guard keeps the latest states: in memory for one process, or deployment-wide (the
 * NATS adapter's KV store), so every worker decides on the same picture. Newest timestamp wins.
 */
export interface TwinStore {
  /** the latest reading of each side of a device */
  read(deviceId: string): Sides | Promise<Sides>;
  /** keeps `reading` unless that side already holds a newer one; settles once stored */
  write(deviceId: string, side: TwinSide, reading: Reading): void | Promise<void>;
}

/** Whether `reading` replaces `stored`: the newest timestamp wins, a tie goes to the later report. */
export function supersedes(reading: Reading, stored: Reading | undefined): boolean {
  return stored === undefined || reading.at_ms >= stored.at_ms;
}

/** The in-process store. Synchronous, so caps that update and check in order see each other at once. */
export class MemoryTwinStore implements TwinStore {
  private readonly devices = new Map<string, Sides>();

  read(deviceId: string): Sides {
    return { ...this.devices.get(deviceId) };
  }

  write(deviceId: string, side: TwinSide, reading: Reading): void {
    const sides = this.devices.get(deviceId) ?? {};
    if (supersedes(reading, sides[side])) sides[side] = reading;
    this.devices.set(deviceId, sides);
  }
}
