import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCorpus } from './tools/corpus.js';
import { OutputCheck } from './tools/output-check.js';

// issue 12: 200,000 roots × 3 hops through every export in a heap of 256 MB. Slow by nature
// (minutes on a busy 2-core host); what it checks is that the run completes and its output is whole.
const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
const ROOTS = 200_000;
// the corpus cycles through five roots: a plain tool call (1 cap), a fork (root + 2 branches),
// a reject, a continue and a resync (root + 1 follow-up each): 10 caps per 5 roots at 3 hops
const CAPS = (ROOTS / 5) * 10;
const dir = mkdtempSync(join(tmpdir(), 'capbus-large-'));
const corpus = join(dir, 'corpus.jsonl');
const TIMEOUT = 20 * 60_000;

/** Runs an export under the heap limit and checks its output as it streams out. */
function runChecked(command: string, check: OutputCheck): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=256', BIN, command, '--input', corpus, '--hops', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => check.feed(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, err }));
  });
}

beforeAll(async () => {
  await writeCorpus(corpus, ROOTS);
}, TIMEOUT);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`${ROOTS.toLocaleString('en-US')} roots × 3 hops in a 256 MB heap`, () => {
  it('gateway-export: one JSON line per cap', async () => {
    const check = new OutputCheck(['{'], true);
    const { code, err } = await runChecked('gateway-export', check);
    expect({ code, err, problem: check.end() }).toEqual({ code: 0, err: '', problem: undefined });
    expect(check.counts[0]).toBe(CAPS);
    expect(JSON.parse(check.lastLine)._emitter).toBe('cap-bus-runtime');
  }, TIMEOUT);

  it('governance-export: links and graph nodes per cap, two usage events each, summaries before them', async () => {
    const check = new OutputCheck(['        "cap_id": ', '        "event_id": ', '    "trust_foundation": {', '      "continuation_truth": true']);
    const { code, err } = await runChecked('governance-export', check);
    expect({ code, err, problem: check.end() }).toEqual({ code: 0, err: '', problem: undefined });
    expect(check.counts).toEqual([2 * CAPS, 2 * CAPS, 1, 1]);
    expect(check.lastLine).toBe('}');
  }, TIMEOUT);

  it('cbom-export: one object per cap', async () => {
    const check = new OutputCheck(['        "object_id": ']);
    const { code, err } = await runChecked('cbom-export', check);
    expect({ code, err, problem: check.end() }).toEqual({ code: 0, err: '', problem: undefined });
    expect(check.counts).toEqual([CAPS]);
    expect(check.lastLine).toBe('}');
  }, TIMEOUT);

  it('export-all: the result count first, then every list whole, sealed receipts included', async () => {
    const check = new OutputCheck([`    "result_count": ${CAPS}`, '      "event_id": ', '        "human_name": ', '        "receipt_id": ', '        "cose": "']);
    const { code, err } = await runChecked('export-all', check);
    expect({ code, err, problem: check.end() }).toEqual({ code: 0, err: '', problem: undefined });
    // gateway events, CBOM objects, sealed receipts; every cap and receipt of the sealed section has its COSE
    expect(check.counts).toEqual([1, CAPS, CAPS, CAPS, 2 * CAPS - ROOTS]);
    expect(check.lastLine).toBe('}');
  }, TIMEOUT);
});
