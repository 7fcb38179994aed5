import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeCap } from '../src/records/cap.js';
import { toGatewayEvent } from '../src/exports/gateway-event.js';
import { REQUIRED_FIELDS, loadGatewayEvents, pythonRepr, validateGatewayEvent, validateGatewayEvents } from '../src/exports/validator.js';
import { deterministicBus } from './tools/runs.js';
import { REFERENCE_FIXTURE } from './tools/reference-fixture.js';

const bus = deterministicBus();
const valid: Record<string, unknown> = toGatewayEvent(
  await bus.run(makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { tool: 'search' } }, bus.context)),
);
const withFields = (fields: Record<string, unknown>) => ({ ...valid, ...fields });
const without = (...fields: string[]) => Object.fromEntries(Object.entries(valid).filter(([key]) => !fields.includes(key)));

const ROUTES = "['cluster', 'direct', 'local', 'relay', 'triage']";
const COLLISIONS = "['assert_root', 'graceful_yield', 'override_all', 'queue', 'reject']";
const COFFEE = "['fork_on_hop_off', 'freeze_resume', 'hard_avoid', 'offline_fallback', 'polite_avoid', 'rebuild', 'sip_anyway']";
const ATTESTATIONS = "['jis', 'none', 'self-signed']";

describe('validateGatewayEvent, original rules (the reference, message for message)', () => {
  it('accepts a record the bus emitted, and unknown extra fields', () => {
    expect(validateGatewayEvent(valid, 'original')).toEqual([]);
    expect(validateGatewayEvent(withFields({ x_custom: [1, 2], another: { deep: true } }), 'original')).toEqual([]);
  });

  it('reports every required field of an empty record, in contract order', () => {
    expect(validateGatewayEvent({}, 'original')).toEqual(REQUIRED_FIELDS.map((f) => `missing required field: ${f}`));
    expect(REQUIRED_FIELDS).toHaveLength(18);
  });

  it('reports only missing and empty required fields, interleaved in field order, when any is absent', () => {
    const record = { ...without('event_id', '_emitter'), timestamp: null, model: '', route_class: 'teleport', verified: null, payload: [] };
    expect(validateGatewayEvent(record, 'original')).toEqual([
      'missing required field: event_id',
      'required field is empty: timestamp',
      'required field is empty: model',
      'missing required field: _emitter',
    ]);
  });

  it('counts falsy values other than null and "" as given', () => {
    expect(validateGatewayEvent(withFields({ latency_ms: 0, agent_id: 0 }), 'original')).toEqual([]);
    expect(validateGatewayEvent(withFields({ status: false }), 'original')).toEqual([]);
  });

  it('checks the five enums with the reference message and sorted, python-style choices', () => {
    const record = withFields({
      observation_layer: 'gateway',
      route_class: 'teleport',
      lane_collision_policy: 'shove',
      coffee_lane_policy: 'espresso',
      attestation_layer: 'pgp',
    });
    expect(validateGatewayEvent(record, 'original')).toEqual([
      "invalid observation_layer: gateway (expected one of ['tibet-gateway'])",
      `invalid route_class: teleport (expected one of ${ROUTES})`,
      `invalid lane_collision_policy: shove (expected one of ${COLLISIONS})`,
      `invalid coffee_lane_policy: espresso (expected one of ${COFFEE})`,
      `invalid attestation_layer: pgp (expected one of ${ATTESTATIONS})`,
    ]);
  });

  it('prints non-string enum values as Python would', () => {
    const message = (value: unknown) => validateGatewayEvent(withFields({ route_class: value }), 'original')[0];
    expect(message(5)).toBe(`invalid route_class: 5 (expected one of ${ROUTES})`);
    expect(message(true)).toBe(`invalid route_class: True (expected one of ${ROUTES})`);
    expect(message(['relay', "it's"])).toBe(`invalid route_class: ['relay', "it's"] (expected one of ${ROUTES})`);
    expect(message({ hop: null, ok: false })).toBe(`invalid route_class: {'hop': None, 'ok': False} (expected one of ${ROUTES})`);
    expect(message(0.00002)).toBe(`invalid route_class: 2e-05 (expected one of ${ROUTES})`);
  });

  it('checks the four numeric fields, and booleans are not numbers', () => {
    expect(validateGatewayEvent(withFields({ latency_ms: '12.5' }), 'original')).toEqual(['latency_ms must be numeric when present']);
    expect(validateGatewayEvent(withFields({ lane_priority: true }), 'original')).toEqual(['lane_priority must be numeric when present']);
    expect(validateGatewayEvent(withFields({ time_diff_seconds: [300] }), 'original')).toEqual(['time_diff_seconds must be numeric when present']);
    expect(validateGatewayEvent(withFields({ diff_threshold_seconds: '3600' }), 'original')).toEqual(['diff_threshold_seconds must be numeric when present']);
  });

  it('lets the optional numeric fields be null or absent', () => {
    expect(validateGatewayEvent(withFields({ lane_priority: null, time_diff_seconds: null, diff_threshold_seconds: null }), 'original')).toEqual([]);
    expect(validateGatewayEvent(without('lane_priority', 'time_diff_seconds', 'diff_threshold_seconds'), 'original')).toEqual([]);
  });

  it('requires verified to be a boolean whenever the key exists, even when null', () => {
    expect(validateGatewayEvent(withFields({ verified: null }), 'original')).toEqual(['verified must be boolean when present']);
    expect(validateGatewayEvent(withFields({ verified: 'true' }), 'original')).toEqual(['verified must be boolean when present']);
    expect(validateGatewayEvent(withFields({ verified: 1 }), 'original')).toEqual(['verified must be boolean when present']);
    expect(validateGatewayEvent(withFields({ verified: false }), 'original')).toEqual([]);
    expect(validateGatewayEvent(without('verified'), 'original')).toEqual([]);
  });

  it('requires a truthy agent_id to be a string', () => {
    expect(validateGatewayEvent(withFields({ agent_id: 42 }), 'original')).toEqual(['agent_id must be a string']);
    expect(validateGatewayEvent(withFields({ agent_id: ['codex.aint'] }), 'original')).toEqual(['agent_id must be a string']);
    expect(validateGatewayEvent(withFields({ agent_id: { id: 'x' } }), 'original')).toEqual(['agent_id must be a string']);
    expect(validateGatewayEvent(withFields({ agent_id: true }), 'original')).toEqual(['agent_id must be a string']);
    // Python truthiness: these falsy values pass
    for (const falsy of [false, 0, [], {}]) expect(validateGatewayEvent(withFields({ agent_id: falsy }), 'original')).toEqual([]);
  });

  it('requires a non-null actor_aint to be a string', () => {
    expect(validateGatewayEvent(withFields({ actor_aint: 7 }), 'original')).toEqual(['actor_aint must be a string when present']);
    expect(validateGatewayEvent(withFields({ actor_aint: null }), 'original')).toEqual([]);
    expect(validateGatewayEvent(without('actor_aint'), 'original')).toEqual([]);
  });

  it('requires a non-null payload to be an object, and arrays are not objects', () => {
    expect(validateGatewayEvent(withFields({ payload: [] }), 'original')).toEqual(['payload must be an object when present']);
    expect(validateGatewayEvent(withFields({ payload: 'tool=search' }), 'original')).toEqual(['payload must be an object when present']);
    expect(validateGatewayEvent(withFields({ payload: null }), 'original')).toEqual([]);
    expect(validateGatewayEvent(withFields({ payload: {} }), 'original')).toEqual([]);
  });

  it('reports enum errors first, then the type rules in contract order', () => {
    const record = withFields({
      payload: [1],
      actor_aint: 1,
      agent_id: 1,
      verified: 'yes',
      diff_threshold_seconds: 'x',
      time_diff_seconds: 'x',
      lane_priority: 'x',
      latency_ms: 'x',
      attestation_layer: 'pgp',
      route_class: 'teleport',
    });
    expect(validateGatewayEvent(record, 'original')).toEqual([
      `invalid route_class: teleport (expected one of ${ROUTES})`,
      `invalid attestation_layer: pgp (expected one of ${ATTESTATIONS})`,
      'latency_ms must be numeric when present',
      'lane_priority must be numeric when present',
      'time_diff_seconds must be numeric when present',
      'diff_threshold_seconds must be numeric when present',
      'verified must be boolean when present',
      'agent_id must be a string',
      'actor_aint must be a string when present',
      'payload must be an object when present',
    ]);
  });

  it('reads own fields only', () => {
    const inherited = Object.create(valid) as Record<string, unknown>;
    expect(validateGatewayEvent(inherited, 'original')).toEqual(REQUIRED_FIELDS.map((f) => `missing required field: ${f}`));
  });

  it('answers a record that is not an object with one message', () => {
    for (const record of [42, 'text', null, [valid]]) expect(validateGatewayEvent(record, 'original')).toEqual(['record must be an object']);
  });
});

describe('validateGatewayEvents', () => {
  it('prefixes every error with the record index, including for a single record', () => {
    expect(validateGatewayEvents([valid])).toEqual([]);
    expect(validateGatewayEvents([without('model')])).toEqual(['record[0]: missing required field: model']);
    expect(validateGatewayEvents([valid, withFields({ verified: null, payload: [] }), 7])).toEqual([
      'record[1]: verified must be boolean when present',
      'record[1]: payload must be an object when present',
      'record[2]: record must be an object',
    ]);
    expect(validateGatewayEvents([])).toEqual([]);
  });
});

describe('pythonRepr', () => {
  it.each([
    [null, 'None'],
    [true, 'True'],
    [3, '3'],
    [-2.5, '-2.5'],
    [0.0001, '0.0001'],
    [1.5e-7, '1.5e-07'],
    [1e21, '1e+21'],
    ['plain', "'plain'"],
    ["it's", `"it's"`],
    [`both ' and "`, `'both \\' and "'`],
    ['tab\there\nnl\\', "'tab\\there\\nnl\\\\'"],
    ['\u0001\u00a0é\u2028😀', "'\\x01\\xa0é\\u2028😀'"],
    [[1, [2, 'x']], "[1, [2, 'x']]"],
    [{ a: { b: [] } }, "{'a': {'b': []}}"],
  ])('repr(%j) is %s', (value, expected) => {
    expect(pythonRepr(value)).toBe(expected);
  });
});

describe('loadGatewayEvents', () => {
  const records = [valid, withFields({ event_id: 'evt_other' })];

  it('reads a .json list', () => {
    expect(loadGatewayEvents(JSON.stringify(records), 'events.json')).toEqual({ ok: true, records });
  });

  it('reads a .json object with a gateway_events list (an export-all document)', () => {
    expect(loadGatewayEvents(JSON.stringify({ cap_bus: {}, gateway_events: records }), 'all.json')).toEqual({ ok: true, records });
  });

  it('refuses any other .json document, naming the file', () => {
    for (const text of ['{"events": []}', '{"gateway_events": 5}', '"text"', '5']) {
      expect(loadGatewayEvents(text, 'odd.json')).toEqual({
        ok: false,
        error: 'odd.json: expected a JSON list of records or an object with a "gateway_events" list',
      });
    }
  });

  it('names line and column of invalid .json', () => {
    expect(loadGatewayEvents('[\n  {"a": 1},\n  {"b" 2}\n]', 'bad.json')).toEqual({ ok: false, error: 'bad.json:3:8: invalid JSON: unexpected "2"' });
    expect(loadGatewayEvents('[{"a": 1}', 'cut.json')).toEqual({ ok: false, error: 'cut.json:1:10: invalid JSON: unexpected end of input' });
    expect(loadGatewayEvents('[]\r\n x', 'tail.json')).toEqual({ ok: false, error: 'tail.json:2:2: invalid JSON: unexpected "x"' });
    expect(loadGatewayEvents('["a\\q"]', 'esc.json')).toEqual({ ok: false, error: 'esc.json:1:5: invalid JSON: unexpected "q"' });
    expect(loadGatewayEvents('[1,]', 'comma.json')).toEqual({ ok: false, error: 'comma.json:1:4: invalid JSON: unexpected "]"' });
    expect(loadGatewayEvents('{"a":1,}', 'key.json')).toEqual({ ok: false, error: 'key.json:1:8: invalid JSON: unexpected "}"' });
    expect(loadGatewayEvents('["\u0001"]', 'ctl.json')).toEqual({ ok: false, error: 'ctl.json:1:3: invalid JSON: unexpected "\\u0001"' });
  });

  it('survives deeply nested broken input', () => {
    const result = loadGatewayEvents('['.repeat(200_000), 'deep.json');
    expect(result).toEqual({ ok: false, error: 'deep.json:1:200001: invalid JSON: unexpected end of input' });
  });

  it('reads JSONL, skipping blank lines, with CRLF or LF endings', () => {
    const text = `\n${JSON.stringify(records[0])}\r\n   \r\n\t${JSON.stringify(records[1])}  \n`;
    expect(loadGatewayEvents(text, 'events.jsonl')).toEqual({ ok: true, records });
    expect(loadGatewayEvents('', 'empty.jsonl')).toEqual({ ok: true, records: [] });
  });

  it('treats anything not ending in .json as JSONL, standard input included', () => {
    expect(loadGatewayEvents(JSON.stringify(records), '-')).toEqual({ ok: true, records: [records] });
    expect(loadGatewayEvents(`${JSON.stringify(valid)}\n{oops}`, '-')).toEqual({ ok: false, error: '<stdin>:2:2: invalid JSON: unexpected "o"' });
  });

  it('names every bad JSONL line with its line and column', () => {
    const text = `x\n\n${JSON.stringify(valid)}\n   {"a": }\n`;
    expect(loadGatewayEvents(text, 'events.log')).toEqual({
      ok: false,
      error: 'events.log:1:1: invalid JSON: unexpected "x"\nevents.log:4:10: invalid JSON: unexpected "}"',
    });
  });

  it('ignores a leading byte-order mark', () => {
    expect(loadGatewayEvents(`\uFEFF${JSON.stringify(records)}`, 'bom.json')).toEqual({ ok: true, records });
  });
});

describe('the original package fixture', () => {
  it('is VALID', () => {
    const loaded = loadGatewayEvents(readFileSync(REFERENCE_FIXTURE, 'utf8'), fileURLToPath(REFERENCE_FIXTURE));
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.records).toHaveLength(1);
    expect(validateGatewayEvents(loaded.records)).toEqual([]);
  });
});
