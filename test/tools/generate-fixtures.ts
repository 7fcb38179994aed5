/**
 * Writes fixtures/gateway-event.<name>.example.json: real gateway-event records from running the
 * demo sources through the in-memory bus with a fixed clock and seeded ids, so every run writes
 * the same bytes. test/gateway-fixtures.test.ts regenerates them and fails when they differ.
 *
 *   npx tsx test/tools/generate-fixtures.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SOURCE_BUILDERS } from '../../src/demo-sources.js';
import { gatewayEvents } from '../../src/exports/gateway-event.js';
import { sortedJson } from '../../src/json.js';
import type { CapBus } from '../../src/pipeline/pipeline.js';
import type { ExecutionResult } from '../../src/records/result.js';
import { deterministicBus } from './runs.js';

const runSource = (name: keyof typeof SOURCE_BUILDERS) => (bus: CapBus) => {
  const source = SOURCE_BUILDERS[name](bus.context);
  return bus.runRoots(source.roots, source.hops);
};

/** One resume root of the resume source (0: sealed 15 s ago, 1: sealed 300 s ago), as that source runs it. */
const runResumeRoot = (index: 0 | 1) => (bus: CapBus) => {
  const source = SOURCE_BUILDERS.resume(bus.context);
  return bus.runChain(source.roots[index]!, source.hops);
};

export const FIXTURE_SCENARIOS: Readonly<Record<string, (bus: CapBus) => Promise<ExecutionResult[]>>> = {
  resume: runSource('resume'),
  chain: runSource('chain'),
  triage: runSource('triage'),
  freeze_resume: runResumeRoot(0),
  fork_on_hop_off: runResumeRoot(1),
};

export const fixtureUrl = (name: string) => new URL(`../../fixtures/gateway-event.${name}.example.json`, import.meta.url);

/** The exact text of a fixture file, freshly generated. */
export async function fixtureText(name: string): Promise<string> {
  const scenario = FIXTURE_SCENARIOS[name];
  if (!scenario) throw new Error(`no fixture scenario named ${name}`);
  return sortedJson(gatewayEvents(await scenario(deterministicBus())), 2) + '\n';
}

async function main(): Promise<void> {
  for (const name of Object.keys(FIXTURE_SCENARIOS)) {
    const url = fixtureUrl(name);
    writeFileSync(url, await fixtureText(name));
    console.log(`wrote ${fileURLToPath(url)}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
