import { sortedJson } from '../../src/json.js';

/** One sector's sync thresholds: how far apart the two states may be, and how old either may get. */
export interface TwinProfile {
  name: string;
  sector: string;
  /** largest |physical − twin| timestamp gap that still counts as in sync */
  max_drift_ms: number;
  /** a state older than this at check time says nothing about the present */
  max_state_age_ms: number;
  safety_critical: boolean;
  example_assets: readonly string[];
}

/**
 * Drift limits are the tibet-twin 0.1.0 figures. Its README defines no state age, so ours is a few
 * sensor cycles beyond the drift limit: enough for one missed update, never a stale picture.
 */
export const TWIN_PROFILES = [
  { name: 'port', sector: 'Maritime', max_drift_ms: 200, max_state_age_ms: 1_000, safety_critical: true, example_assets: ['container cranes', 'AGVs'] },
  { name: 'manufacturing', sector: 'Factory', max_drift_ms: 100, max_state_age_ms: 500, safety_critical: true, example_assets: ['CNC machines', 'robot arms (KUKA/ABB)'] },
  { name: 'energy', sector: 'Power grid', max_drift_ms: 500, max_state_age_ms: 2_500, safety_critical: true, example_assets: ['wind turbines', 'substations'] },
  { name: 'steel', sector: 'Heavy industry', max_drift_ms: 300, max_state_age_ms: 1_500, safety_critical: true, example_assets: ['blast furnaces', 'hot strip mills'] },
  { name: 'semiconductor', sector: 'Chip fab', max_drift_ms: 50, max_state_age_ms: 250, safety_critical: true, example_assets: ['ASML EUV scanners', 'etch tools'] },
  { name: 'building', sector: 'Smart building', max_drift_ms: 5_000, max_state_age_ms: 30_000, safety_critical: false, example_assets: ['HVAC', 'fire detection'] },
] as const satisfies readonly TwinProfile[];

export type TwinProfileName = (typeof TWIN_PROFILES)[number]['name'];
export const TWIN_PROFILE_NAMES = TWIN_PROFILES.map((p) => p.name) as [TwinProfileName, ...TwinProfileName[]];

export function twinProfile(name: TwinProfileName): TwinProfile {
  return TWIN_PROFILES.find((p) => p.name === name)!;
}

const COLUMNS: readonly { title: string; cell: (p: TwinProfile) => string; right?: boolean }[] = [
  { title: 'profile', cell: (p) => p.name },
  { title: 'sector', cell: (p) => p.sector },
  { title: 'max drift', cell: (p) => `${p.max_drift_ms} ms`, right: true },
  { title: 'max age', cell: (p) => `${p.max_state_age_ms} ms`, right: true },
  { title: 'safety', cell: (p) => (p.safety_critical ? 'yes' : 'no') },
  { title: 'example assets', cell: (p) => p.example_assets.join(', ') },
];

/** The profile table for a terminal. */
export function twinProfilesText(): string {
  const rows = [COLUMNS.map((c) => c.title), ...TWIN_PROFILES.map((p) => COLUMNS.map((c) => c.cell(p)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (COLUMNS[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The profile table as JSON (keys sorted, table order kept). */
export function twinProfilesJson(): string {
  return sortedJson(TWIN_PROFILES, 2);
}
