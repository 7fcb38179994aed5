import { makeCap } from '../../src/records/cap.js';
import { isoTimestamp, manualClock, seededIds, type Clock } from '../../src/clock.js';
import { sortedJson } from '../../src/json.js';
import type { ExecutionResult } from '../../src/records/result.js';
import { createMemoryBus, EchoExecutor } from '../memory/index.js';
import { verifyAuditChain, type TwinAuditToken } from './audit.js';
import { guardExecutor } from './executor.js';
import { TwinGuard } from './guard.js';
import { twinProfile } from './profiles.js';
import { STATE_INTENT, type CheckName, type TwinDeviceInput, type TwinSide } from './state.js';

const CHECK_SUMMARIES: Readonly<Record<CheckName, string>> = {
  values: "every reported value within the device's tolerance for that key",
  identity: 'each state reported by the actor registered for its side (and sealed, when required)',
  time: 'the two states at most max_drift_ms apart, neither older than max_state_age_ms',
  intent: 'the same status on both sides, and no motion while the device is in fault',
};

const INFO = [
  'twin guard: no industrial action through the bus without proven synchronization.',
  '',
  "A digital twin is a live model of a machine, fed by the machine's sensors, and it always lags",
  'the machine a little. When the lag grows or the two disagree, a command that looks safe on the',
  'twin can be deadly on the machine: the twin still shows a crane as operational, its sensors',
  'already report a fault, and a "move left" goes out anyway.',
  '',
  "The guard sits in the bus's execute phase. Before a factory.* cap runs, it compares the device's",
  'latest physical state with its twin state:',
  ...Object.entries(CHECK_SUMMARIES).map(([name, text]) => `  ${name.padEnd(9)} ${text}`),
  'One failure blocks the cap: it is not executed, its receipt is resync-needed and names the',
  'failed checks, and its follow-up goes to the triage.resync lane. Every decision becomes a',
  'hash-linked audit token.',
  '',
  'States arrive as caps: twin.state.physical and twin.state.virtual, payload = the state',
  '{device_id, timestamp, values, status}; the cap actor is the reporter.',
];

/** What the guard is for and, given a guard, its counters and devices. */
export function twinInfoText(guard?: TwinGuard): string {
  if (!guard) return INFO.join('\n');
  const side = (name: TwinSide, actor: string, deviceId: string) => {
    const reading = guard.latest(deviceId)[name];
    const seen = reading ? `${reading.state.status} @ ${reading.state.timestamp} from ${reading.actor_id}` : 'no state yet';
    return `    ${name.padEnd(8)} ${actor}: ${seen}`;
  };
  return [
    ...INFO,
    '',
    guardStatusLine(guard),
    ...guard.registeredDevices().flatMap((d) => [
      `  ${d.device_id} (profile ${d.profile})`,
      side('physical', d.physical_actor, d.device_id),
      side('twin', d.twin_actor, d.device_id),
    ]),
  ].join('\n');
}

function guardStatusLine(guard: TwinGuard): string {
  const { checks, allowed, blocked, block_rate } = guard.status();
  return `guard ${guard.guardNode}: ${checks} checks, ${allowed} allowed, ${blocked} blocked (${block_rate}% blocked)`;
}

export interface TwinDemoOptions {
  /** defaults to a stopped clock at the seed's crane moment, so the demo prints the same every run */
  clock?: Clock;
  json?: boolean;
}

export interface TwinDemoRun {
  results: ExecutionResult[];
  audit: readonly TwinAuditToken[];
  lines: string[];
}

const DEMO_START_MS = Date.parse('2026-02-27T14:32:01.003Z');
const CRANE: TwinDeviceInput = {
  device_id: 'crane-01',
  profile: 'port',
  tolerances: { position_x: 0.5, load_kg: 100 },
  physical_actor: 'crane-01.plc.aint',
  twin_actor: 'port-twin.aint',
};
const DEMO_COMMAND = 'factory.crane.motion.move_left';

/**
 * The crane scenario end to end through a real memory bus: the crane reports a fault while its
 * twin still says operational, so a move is refused and triaged; once the fault is cleared and
 * the twin has caught up, the same move is allowed and executed.
 */
export async function runTwinDemo(options: TwinDemoOptions = {}): Promise<TwinDemoRun> {
  const stopped = manualClock(DEMO_START_MS);
  const clock = options.clock ?? stopped;
  const ids = seededIds(2026);
  const guard = new TwinGuard({ clock, guardNode: 'demo-twin-guard' });
  guard.register(CRANE);
  const bus = createMemoryBus({ clock, ids, phases: { execute: guardExecutor(new EchoExecutor(), guard) } });

  const state = (side: TwinSide, status: string, ageMs: number) =>
    makeCap(
      {
        actor_id: side === 'physical' ? CRANE.physical_actor : CRANE.twin_actor,
        intent: STATE_INTENT[side],
        authority_ref: 'authority:demo.twin',
        payload: { device_id: CRANE.device_id, timestamp: isoTimestamp(clock.now() - ageMs), values: { position_x: 12.5, load_kg: 2500 }, status },
      },
      { clock, ids },
    );
  const command = () =>
    makeCap(
      { actor_id: 'crane-operator.aint', intent: DEMO_COMMAND, authority_ref: 'authority:demo.twin', payload: { device_id: CRANE.device_id, direction: 'left', metres: 2 } },
      { clock, ids },
    );

  const results: ExecutionResult[] = [];
  // act 1: the seed's moment, the twin 503 ms behind a crane that has just faulted
  results.push(await bus.run(state('physical', 'fault', 0)), await bus.run(state('twin', 'operational', 503)));
  results.push(...(await bus.runChain(command(), 2)));
  // act 2, two seconds on: the fault is cleared and the twin follows within 40 ms
  // the default clock only moves when told to; a caller's clock moves on its own
  if (clock === stopped) stopped.advance(2_000);
  results.push(await bus.run(state('physical', 'operational', 0)), await bus.run(state('twin', 'operational', 40)));
  results.push(...(await bus.runChain(command(), 2)));

  const audit = guard.auditTokens();
  const chain = verifyAuditChain(audit);
  if (options.json) {
    const steps = results.map((r) => ({ cap: r.distributed.cap, receipt: r.receipt }));
    return { results, audit, lines: [sortedJson({ steps, audit, audit_chain: chain, status: guard.status() }, 2)] };
  }
  const profile = twinProfile(CRANE.profile);
  const lines = [
    `crane ${CRANE.device_id}, profile ${profile.name}: max drift ${profile.max_drift_ms} ms, max state age ${profile.max_state_age_ms} ms`,
    ...results.flatMap(describeResult),
    `audit: ${audit.length} tokens, chain ${chain.valid ? 'verified' : `BROKEN: ${chain.problems.join('; ')}`}`,
    guardStatusLine(guard),
  ];
  return { results, audit, lines };
}

function describeResult(r: ExecutionResult): string[] {
  const { cap } = r.distributed;
  const head = `${cap.parent_id ? '  -> ' : ''}${r.receipt.outcome.padEnd(13)} ${cap.intent} (${cap.actor_id})`;
  const payload = r.receipt.payload;
  if (payload.reason !== undefined) return [head, `      ${payload.reason}`];
  const decision = payload.twin_decision as { reason: string } | undefined;
  if (decision) return [head, `      twin guard ${decision.reason}`];
  if (typeof cap.payload.status === 'string') return [`${head}: status ${cap.payload.status} @ ${cap.payload.timestamp}`];
  return [head];
}
