import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkBurstLimits,
  checkCausalRanks,
  checkMaxRunning,
  checkNoUnjustifiedPassing,
  checkOneReceiptPerCap,
  checkReadyPriority,
  checkRefusalsTriaged,
  checkRejectLanes,
  checkTraceMatchesReceipts,
} from '../adapters/testing/index.js';
import { ScheduleTraceRecordSchema, SCHEDULE_DECISIONS } from '../adapters/mux/index.js';

const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
const FIXTURE = new URL('../fixtures/contention.jsonl', import.meta.url).pathname;

describe('a contending scenario with --schedule-trace (fixtures/contention.jsonl)', () => {
  const tracePath = join(mkdtempSync(join(tmpdir(), 'capbus-sched-')), 'trace.jsonl');
  const run = spawnSync(process.execPath, [BIN, 'trace', '--json', '--hops', '2', '--input', FIXTURE, '--schedule-trace', tracePath], { encoding: 'utf8' });
  const results = JSON.parse(run.stdout);
  const trace = readFileSync(tracePath, 'utf8').trim().split('\n').map((line) => ScheduleTraceRecordSchema.parse(JSON.parse(line)));
  const roots = results.filter((r: any) => r.distributed.cap.parent_id === null).map((r: any) => r.distributed.cap);
  const byActor = (actor: string) => trace.filter((t) => t.actor_id === actor);

  it('satisfies every invariant of the mux', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(trace).toHaveLength(results.length);
    expect([
      ...checkOneReceiptPerCap(roots, results),
      ...checkTraceMatchesReceipts(results, trace),
      ...checkBurstLimits(trace),
      ...checkRejectLanes(trace),
      ...checkRefusalsTriaged(roots, results, trace, 2),
      ...checkNoUnjustifiedPassing(trace),
      ...checkReadyPriority(trace),
      ...checkCausalRanks(results),
    ]).toEqual([]);
  });

  it('shows every policy decision', () => {
    expect(new Set(trace.map((t) => t.decision))).toEqual(new Set(SCHEDULE_DECISIONS));
  });

  it('assert_root: the lane root goes ahead of another actor waiting before it', () => {
    const b = byActor('line-b-controller')[0]!;
    const rootFirst = trace.find((t) => t.decision === 'root-first')!;
    expect(rootFirst.actor_id).toBe('line-a-controller');
    expect(rootFirst.enqueued_seq).toBeGreaterThan(b.enqueued_seq);
    expect(rootFirst.started_seq!).toBeLessThan(b.started_seq!);
  });

  it('reject: the second actor on a reject lane is never started, and is triaged', () => {
    const refused = byActor('ops-b.aint').find((t) => t.lane_id === 'lane:ops.triage.reject:default')!;
    expect(refused).toMatchObject({ decision: 'rejected', started_seq: null, outcome: 'rejected' });
    const triage = results.find((r: any) => r.distributed.cap.parent_id === refused.cap_id);
    expect(triage.distributed.cap.intent).toBe('ops.triage.reject.triage.reject');
  });

  it('override_all: the newcomer starts before the cap that waited ahead of it', () => {
    const waiting = byActor('planner-a.aint').find((t) => t.decision === 'queued')!;
    const over = byActor('planner-b.aint')[0]!;
    expect(over.decision).toBe('overrode');
    expect(over.started_seq!).toBeLessThan(waiting.started_seq!);
  });

  it('graceful_yield: a higher-priority newcomer passes a waiting preemptible cap, not an equal one', () => {
    const yielded = byActor('agent-c.aint')[0]!;
    const service = byActor('billing-service')[0]!;
    const equal = byActor('agent-a.aint').find((t) => t.decision === 'queued')!;
    expect(yielded.decision).toBe('yielded-to');
    expect(yielded.started_seq!).toBeLessThan(service.started_seq!);
    expect(equal.started_seq!).toBeLessThan(yielded.started_seq!);
  });

  it('polite_avoid runs after everything else ready on its lane; hard_avoid never runs', () => {
    const polite = byActor('stranger')[0]!;
    const lane = trace.filter((t) => t.lane_id === polite.lane_id && t !== polite);
    const readyBefore = lane.filter((t) => t.enqueued_seq < polite.started_seq!);
    for (const other of readyBefore) expect(other.started_seq!).toBeLessThan(polite.started_seq!);
    expect(byActor('shady.aint')[0]).toMatchObject({ decision: 'avoided', started_seq: null, outcome: 'avoided' });
    const receipt = results.find((r: any) => r.distributed.cap.actor_id === 'shady.aint').receipt;
    expect(receipt.payload).toMatchObject({ accepted: false, continuation_mode: 'hard_avoid' });
    expect(receipt.payload.reason).toContain('hard_avoid');
  });
});

describe('--max-running: the executor capacity of a run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capbus-max-running-'));
  const input = join(dir, 'spread.jsonl');
  // 12 caps of 40 ms over 6 lanes of two priorities: without a global limit up to 12 run at once
  const intents = ['agent.tool.high', 'misc.op'];
  writeFileSync(
    input,
    Array.from({ length: 12 }, (_, i) => JSON.stringify({ actor_id: 'spread.aint', intent: intents[i % 2], lane_hint: `lane:spread:${i % 6}`, authority_ref: 'sam:t', payload: { duration_ms: 40, i } })).join('\n') + '\n',
  );
  const schedule = (...flags: string[]) => {
    const tracePath = join(dir, `trace${flags.join('')}.jsonl`);
    const run = spawnSync(process.execPath, [BIN, 'trace', '--json', '--input', input, '--schedule-trace', tracePath, ...flags], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const trace = readFileSync(tracePath, 'utf8').trim().split('\n').map((line) => ScheduleTraceRecordSchema.parse(JSON.parse(line)));
    return { results: JSON.parse(run.stdout), trace };
  };

  it('never runs more than N caps at once over all lanes, reaches N, and hands freed slots to the higher priority', () => {
    // the same input without the flag runs more than 3 at once
    expect(checkMaxRunning(schedule().trace, 3)).not.toEqual([]);
    const { results, trace } = schedule('--max-running', '3');
    expect(trace).toHaveLength(12);
    expect(results.every((r: any) => r.receipt.outcome === 'executed')).toBe(true);
    expect(checkMaxRunning(trace, 3)).toEqual([]);
    // 3 did run at once: the limit held the rest back, not a lack of work
    expect(checkMaxRunning(trace, 2)).not.toEqual([]);
    // the caps held back started highest priority first (agent.tool.high 7, then misc 5)
    const waited = trace.filter((t) => t.decision === 'queued').sort((a, b) => a.started_seq! - b.started_seq!);
    expect(waited.map((t) => t.priority)).toEqual([7, 7, 7, 7, 5, 5, 5, 5, 5]);
    expect([...checkTraceMatchesReceipts(results, trace), ...checkBurstLimits(trace), ...checkReadyPriority(trace)]).toEqual([]);
  });

  it('a limit that is not an integer of at least 1 is a usage error (exit 2) naming the flag', () => {
    for (const [command, value] of [['trace', '0'], ['export-all', '1.5'], ['emit', 'many'], ['serve', '0']]) {
      const run = spawnSync(process.execPath, [BIN, command!, '--max-running', value!], { encoding: 'utf8' });
      expect(run.status, `${command} --max-running ${value}`).toBe(2);
      expect(run.stderr).toContain(`argument '${value}' is invalid. --max-running must be a whole number of at least 1`);
    }
  });
});
