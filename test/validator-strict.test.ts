import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeCap } from '../src/records/cap.js';
import { toGatewayEvent } from '../src/exports/gateway-event.js';
import { validateGatewayEvent } from '../src/exports/validator.js';
import { deterministicBus } from './tools/runs.js';
import { REFERENCE_FIXTURE } from './tools/reference-fixture.js';

/** Issue 13, item 4: the validator is as strict as schemas/gateway-event.v1.schema.json; `--rules original` is the original. */
const bus = deterministicBus();
const valid: Record<string, unknown> = toGatewayEvent(
  await bus.run(makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { tool: 'search' } }, bus.context)),
);
const without = (field: string) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== field));
const SCHEMA_ONLY = [
  'thread_id', 'request_id', 'envelope_id', 'token_id', 'parent_id', 'actor_aint', 'actor_jis_pubkey', 'method', 'target_url', 'payload',
  'coffee_reason', 'time_diff_seconds', 'diff_threshold_seconds', 'preemptible', 'lane_priority', 'gateway_actor', 'verified', 'content_hash', 'attestation_ref',
];

describe('the strict rules (default)', () => {
  it.each(SCHEMA_ONLY)('a record without %s is INVALID (the original passes it)', (field) => {
    expect(validateGatewayEvent(without(field))).toEqual([`missing required field: ${field}`]);
    expect(validateGatewayEvent(without(field), 'original')).toEqual([]);
  });

  it.each([
    ['thread_id', 7, 'thread_id must be a string'],
    ['event_id', 5, 'event_id must be a string'],
    ['parent_id', 3, 'parent_id must be a string or null'],
    ['preemptible', 'yes', 'preemptible must be boolean'],
    ['lane_priority', null, 'lane_priority must be numeric'],
    ['diff_threshold_seconds', null, 'diff_threshold_seconds must be numeric'],
    ['time_diff_seconds', 'soon', 'time_diff_seconds must be numeric when present'],
    ['payload', null, 'payload must be an object'],
    ['agent_id', 0, 'agent_id must be a string'],
  ])('%s = %j', (field, value, message) => {
    expect(validateGatewayEvent({ ...valid, [field]: value })).toEqual([message]);
  });

  it("keeps the original's messages first, without repeating them", () => {
    const record = { ...without('thread_id'), route_class: 'teleport', latency_ms: 'slow', method: 1 };
    const original = validateGatewayEvent(record, 'original');
    expect(original).toEqual([
      "invalid route_class: teleport (expected one of ['cluster', 'direct', 'local', 'relay', 'triage'])",
      'latency_ms must be numeric when present',
    ]);
    expect(validateGatewayEvent(record)).toEqual([...original, 'missing required field: thread_id', 'method must be a string']);
  });

  it('while a field the original requires is missing, adds the missing schema fields too', () => {
    const record = { ...without('thread_id'), event_id: '' };
    expect(validateGatewayEvent(record)).toEqual(['required field is empty: event_id', 'missing required field: thread_id']);
  });

  it("the original package's fixture is valid under both rules", async () => {
    const { readFileSync } = await import('node:fs');
    const [record] = JSON.parse(readFileSync(REFERENCE_FIXTURE, 'utf8')) as unknown[];
    expect(validateGatewayEvent(record)).toEqual([]);
    expect(validateGatewayEvent(record, 'original')).toEqual([]);
  });
});

describe('validate-gateway-event --rules', () => {
  const BIN = new URL('../dist/adapters/node/bin.js', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'capbus-rules-'));
  const path = join(dir, 'no-thread.jsonl');
  writeFileSync(path, JSON.stringify(without('thread_id')) + '\n');
  const cli = (args: string[]) => spawnSync('node', [BIN, 'validate-gateway-event', '--input', path, ...args], { encoding: 'utf8' });

  it('strict by default; --rules original gives the original verdict; anything else is a usage error', () => {
    expect(cli([])).toMatchObject({ status: 1, stdout: 'INVALID\n\n- record[0]: missing required field: thread_id\n' });
    expect(cli(['--rules', 'original'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^VALID\n/) });
    expect(cli(['--rules', 'strict']).status).toBe(1);
    expect(cli(['--rules', 'lax']).status).toBe(2);
    expect(spawnSync('node', [BIN, 'validate-gateway-event', '--input', fileURLToPath(REFERENCE_FIXTURE)], { encoding: 'utf8' }).status).toBe(0);
  });
});
