import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCap, type Cap, type CapInput } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { generateKeyFile, type KeyFile } from '../src/seal/keys.js';
import { writeKeyFile } from '../adapters/node/key-files.js';
import { validateGatewayEvents } from '../src/exports/validator.js';
import { inCi, missing, python } from './tools/cose-ref.js';
import { NATS_SERVER, spawnWorker, startNatsServer, type NatsServer, type SpawnedWorker } from './tools/nats-server.js';

/**
 * The "must show" of the NATS transport: a client that is not this project (Python, standard
 * library socket code speaking the NATS protocol, COSE via cose_ref.py) sends JSON caps, sealed
 * caps and garbage to one running `serve` and checks every answer it gets.
 */

const CLIENT = new URL('./interop/nats_client.py', import.meta.url).pathname;
const MAX_BYTES = 16_384;
const ctx = { clock: systemClock, ids: randomIds() };

type Expect = 'receipt' | 'rejected' | 'error';
interface JobMessage {
  subject: string;
  content_type: string | null;
  body_b64: string;
  headers?: Record<string, string>;
  expect: Expect;
}
/** what the test knows about a message beyond what goes on the wire */
interface Case {
  label: string;
  message: JobMessage;
  cap?: Cap;
  sealed?: boolean;
  /** Tibet-Error code of an error reply, or the reason a rejected receipt must name */
  code?: string;
}
interface Reply {
  status: string | null;
  headers: Record<string, string[]>;
  body_b64: string;
}
interface Result {
  subject: string;
  replies: Reply[];
  sent_cap: { cap_id: string; content_hash: string } | null;
  receipt_check: { ok: boolean; signature_ok?: boolean; kid_is_bus_key?: boolean; cap_id_matches?: boolean; cap_hash_matches?: boolean; record?: Record<string, unknown>; reason?: string } | null;
  as_expected: boolean;
}
interface Report {
  errors: string[];
  results: Result[];
  gateway_events: Record<string, unknown>[];
  gateway_undecodable: number;
}
interface PySealed {
  cose_hex: string;
  content_hash: string;
  public_key_hex: string;
}

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');
const subjectOf = (intent: string) => `capbus.cap.${intent}`;
const hexOf = (keyFile: KeyFile) => keyFile.public_key.slice('ed25519:'.length);
const first = (reply: Reply, name: string) => Object.entries(reply.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1][0];
const bodyText = (reply: Reply) => Buffer.from(reply.body_b64, 'base64').toString('utf8');

/** Intents whose family names a provider and model, so every gateway event passes the contract. */
const INTENTS: { intent: string; payload: Record<string, unknown> }[] = [
  { intent: 'agent.tool.high', payload: { tool: 'search' } },
  { intent: 'service.rpc.billing', payload: { service: 'billing' } },
  { intent: 'factory.line.a', payload: { station: 4 } },
];

function cap(i: number, fields: Partial<CapInput>): Cap {
  const { intent, payload } = INTENTS[i % INTENTS.length]!;
  return makeCap({ actor_id: 'codex.aint', intent, authority_ref: 'sam:foreign', payload: { ...payload, n: i }, ...fields }, ctx);
}

/** Runs the Python client on a job; rejects if it fails or outlives `timeoutMs`. */
function runClient(job: unknown, timeoutMs: number): Promise<Report> {
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/bin/python3', [CLIENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`nats_client.py exited ${code ?? signal}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out) as Report);
      } catch (error) {
        reject(new Error(`nats_client.py printed no JSON report: ${(error as Error).message}; stderr: ${err.slice(-2000)}`));
      }
    });
    proc.stdin.end(JSON.stringify(job));
  });
}

// Skip only outside CI: there a missing nats-server or Python side must fail the suite.
const unavailable = NATS_SERVER === null || missing !== null;

describe.skipIf(unavailable && !inCi)('a foreign NATS client (Python, no NATS library) against a running serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capbus-foreign-'));
  const file = (name: string) => join(dir, name);
  const busKey = generateKeyFile('bus');
  const actorKey = generateKeyFile('codex.aint');
  const edgeKey = generateKeyFile('edge-sensor');
  let server: NatsServer;
  let worker: SpawnedWorker;
  let cases: Case[];
  let report: Report;

  const seal = (record: Cap, key: KeyFile) => python<PySealed>('seal', { seed_hex: key.secret_key, record });
  const sealedCase = (label: string, record: Cap, key: KeyFile, expect: Expect = 'receipt', code?: string): Case => {
    const py = seal(record, key);
    return { label, cap: record, sealed: true, code, message: { subject: subjectOf(record.intent), content_type: 'application/cose', body_b64: b64(Buffer.from(py.cose_hex, 'hex')), expect } };
  };
  const jsonCase = (label: string, record: Cap): Case => ({
    label,
    cap: record,
    message: { subject: subjectOf(record.intent), content_type: 'application/json', body_b64: b64(JSON.stringify(record)), expect: 'receipt' },
  });
  const garbage = (label: string, code: string, message: Omit<JobMessage, 'expect'>): Case => ({ label, code, message: { ...message, expect: 'error' } });

  beforeAll(async () => {
    if (missing) throw new Error(`CI needs the Python interop side: ${missing}`);
    writeKeyFile(file('bus.key'), busKey);
    writeFileSync(file('ring.json'), JSON.stringify({ actors: { 'codex.aint': [actorKey.public_key] }, bus: busKey.public_key }));
    server = await startNatsServer();
    // --allow-unsealed: with a keyring the worker would otherwise reject the JSON caps
    worker = await spawnWorker(['--nats', server.url, '--bus-key', file('bus.key'), '--keyring', file('ring.json'), '--allow-unsealed', '--max-bytes', String(MAX_BYTES)]);

    const json = Array.from({ length: 20 }, (_, i) => jsonCase(`json ${i}`, cap(i, { attestation_layer: 'none' })));
    const jis = Array.from({ length: 18 }, (_, i) => sealedCase(`jis ${i}`, cap(i, { attestation_layer: 'jis' }), actorKey));
    const selfSigned = Array.from({ length: 2 }, (_, i) =>
      sealedCase(`self-signed ${i}`, cap(i, { actor_id: 'edge-sensor', attestation_layer: 'self-signed', actor_jis_pubkey: edgeKey.public_key }), edgeKey),
    );

    // a good seal with one flipped signature bit: it parses, so the bus answers with a rejected receipt
    const flipped = sealedCase('flipped signature bit', cap(1, {}), actorKey, 'rejected', 'bad-signature');
    const flippedBytes = Buffer.from(flipped.message.body_b64, 'base64');
    flippedBytes[flippedBytes.length - 1]! ^= 0x01;
    flipped.message.body_b64 = b64(flippedBytes);
    const unbound = sealedCase('jis cap sealed by a key the keyring does not bind', cap(2, {}), edgeKey, 'rejected', 'key-not-bound');

    const valid = cap(0, { attestation_layer: 'none' });
    const validJson = JSON.stringify(valid);
    const { actor_id: _dropped, ...noActor } = cap(0, {});
    const [cborArray] = python<string[]>('encode', [[1, 2, 3, 4]]);
    // COSE_Sign1 whose payload is the CBOR integer 1, not a cap record (zero kid and signature: never checked)
    const notARecord = Buffer.from(`d28443a10127a1045820${'00'.repeat(32)}41015840${'00'.repeat(64)}`, 'hex');
    const oversize = JSON.stringify(cap(0, { attestation_layer: 'none', payload: { tool: 'x', blob: 'x'.repeat(MAX_BYTES) } }));
    const jsonType = 'application/json';
    const bad = [
      garbage('not JSON', 'bad-json', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: b64('hello {') }),
      garbage('not UTF-8', 'bad-json', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: b64(new Uint8Array([0xff, 0xfe, 0x7b])) }),
      garbage('empty body', 'bad-json', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: '' }),
      garbage('JSON array', 'bad-cap', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: b64('[1,2]') }),
      garbage('cap without actor_id', 'bad-cap', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: b64(JSON.stringify(noActor)) }),
      garbage('cap with an unknown field', 'bad-cap', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: b64(JSON.stringify({ ...valid, cap_id: 'cap_unknown_field', shell: 'rm -rf /' })) }),
      garbage('cap with a bad created_at', 'bad-cap', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: b64(JSON.stringify({ ...valid, cap_id: 'cap_bad_time', created_at: 'yesterday' })) }),
      garbage('not CBOR', 'bad-cose', { subject: subjectOf('agent.tool.high'), content_type: 'application/cose', body_b64: b64('plain text, no cbor') }),
      garbage('CBOR, not COSE_Sign1', 'bad-cose', { subject: subjectOf('agent.tool.high'), content_type: 'application/cose', body_b64: b64(Buffer.from(cborArray!, 'hex')) }),
      garbage('JSON cap labelled COSE', 'bad-cose', { subject: subjectOf('agent.tool.high'), content_type: 'application/cose', body_b64: b64(validJson) }),
      garbage('COSE whose payload is no record', 'bad-cap', { subject: subjectOf('agent.tool.high'), content_type: 'application/cose', body_b64: b64(notARecord) }),
      garbage('no Content-Type', 'bad-content-type', { subject: subjectOf('agent.tool.high'), content_type: null, body_b64: b64(validJson) }),
      garbage('unknown Content-Type', 'bad-content-type', { subject: subjectOf('agent.tool.high'), content_type: 'text/plain', body_b64: b64(validJson) }),
      garbage('subject names another intent', 'subject-mismatch', { subject: subjectOf('service.rpc.billing'), content_type: jsonType, body_b64: b64(validJson) }),
      garbage('subject is no intent', 'bad-subject', { subject: 'capbus.cap.agent.tool$high', content_type: jsonType, body_b64: b64(validJson) }),
      garbage('over --max-bytes', 'too-large', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: b64(oversize) }),
      garbage('hop already at the bound', 'bad-header', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: b64(validJson), headers: { 'Tibet-Hop': '1' } }),
      garbage('non-numeric Tibet-Lamport', 'bad-header', { subject: subjectOf('agent.tool.high'), content_type: jsonType, body_b64: b64(validJson), headers: { 'Tibet-Lamport': 'soon' } }),
    ];
    expect(Buffer.from(oversize).length).toBeGreaterThan(MAX_BYTES);

    // the last cap comes after all the garbage: its receipt shows the worker still serves
    const last = sealedCase('valid cap after the garbage', cap(7, {}), actorKey);
    // interleaved, so garbage and trust failures sit between good caps rather than in one block
    const good = [...json, ...jis, ...selfSigned];
    const worse = [...bad, flipped, unbound];
    cases = [];
    for (let i = 0; i < Math.max(good.length, worse.length); i++) {
      if (good[i]) cases.push(good[i]!);
      if (worse[i]) cases.push(worse[i]!);
    }
    cases.push(last);

    report = await runClient(
      { url: server.url, bus_public_key_hex: hexOf(busKey), reply_timeout_ms: 3000, gateway_wait_ms: 1000, messages: cases.map((c) => c.message) },
      40_000,
    );
  }, 55_000);

  afterAll(async () => {
    await worker?.stop();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const casesOf = (pick: (c: Case) => boolean) => cases.map((c, i) => ({ c, r: report.results[i]! })).filter(({ c }) => pick(c));

  it('gets exactly one reply per message, as the client itself judged it', () => {
    expect(report.errors).toEqual([]);
    expect(report.results).toHaveLength(cases.length);
    const counts = report.results.map((r, i) => `${cases[i]!.label}: ${r.replies.length}`);
    expect(counts).toEqual(cases.map((c) => `${c.label}: 1`));
    expect(report.results.filter((r) => !r.as_expected).map((r) => r.subject)).toEqual([]);
  });

  it('answers every JSON cap with a JSON receipt: executed, same cap_id', () => {
    const json = casesOf((c) => c.cap !== undefined && !c.sealed);
    expect(json).toHaveLength(20);
    for (const { c, r } of json) {
      const [reply] = r.replies;
      expect(first(reply!, 'Content-Type')).toBe('application/json');
      expect(first(reply!, 'Tibet-Error')).toBeUndefined();
      expect(first(reply!, 'Tibet-Lamport')).toMatch(/^\d+$/);
      expect(JSON.parse(bodyText(reply!))).toMatchObject({ cap_id: c.cap!.cap_id, outcome: 'executed' });
    }
  });

  it('answers every sealed cap with a COSE receipt Python verifies: bus key, cap_id, cap_hash', () => {
    const sealed = casesOf((c) => c.sealed === true && c.message.expect === 'receipt');
    expect(sealed).toHaveLength(21);
    for (const { c, r } of sealed) {
      expect(first(r.replies[0]!, 'Content-Type')).toBe('application/cose');
      expect(r.sent_cap?.cap_id).toBe(c.cap!.cap_id);
      expect(r.receipt_check).toMatchObject({ ok: true, signature_ok: true, kid_is_bus_key: true, cap_id_matches: true, cap_hash_matches: true });
      expect(r.receipt_check!.record).toMatchObject({ cap_id: c.cap!.cap_id, outcome: 'executed', cap_hash: r.sent_cap!.content_hash });
    }
  });

  it('gives a sealed cap that fails trust a sealed rejected receipt naming why, not an error reply', () => {
    const rejected = casesOf((c) => c.message.expect === 'rejected');
    expect(rejected.map(({ c }) => c.code)).toEqual(['bad-signature', 'key-not-bound']);
    for (const { c, r } of rejected) {
      const [reply] = r.replies;
      expect(first(reply!, 'Tibet-Error')).toBeUndefined();
      expect(first(reply!, 'Content-Type')).toBe('application/cose');
      // the receipt is still the bus's, about the very bytes that were sent
      expect(r.receipt_check).toMatchObject({ ok: true, kid_is_bus_key: true, cap_id_matches: true, cap_hash_matches: true });
      expect(r.receipt_check!.record).toMatchObject({ cap_id: c.cap!.cap_id, outcome: 'rejected', continuation_mode: 'reject', payload: { accepted: false } });
      expect(JSON.stringify(r.receipt_check!.record)).toContain(c.code);
    }
  });

  it('answers each garbage message with Tibet-Error and a JSON {error, message}', () => {
    const bad = casesOf((c) => c.message.expect === 'error');
    expect(bad.length).toBeGreaterThanOrEqual(15);
    for (const { c, r } of bad) {
      const [reply] = r.replies;
      expect(reply!.status, c.label).toBeNull();
      expect(first(reply!, 'Tibet-Error'), c.label).toBe(c.code);
      expect(first(reply!, 'Content-Type'), c.label).toBe('application/json');
      const body = JSON.parse(bodyText(reply!)) as Record<string, unknown>;
      expect(Object.keys(body).sort(), c.label).toEqual(['error', 'message']);
      expect(body.error, c.label).toBe(c.code);
      expect(body.message, c.label).toEqual(expect.any(String));
    }
    // each refusal is logged as a warning; nothing failed inside the worker
    const refused = worker.logs.filter((l) => l.msg === 'refused');
    expect(refused.map((l) => l.code).sort()).toEqual(bad.map(({ c }) => c.code).sort());
    expect(worker.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('publishes one valid gateway event per answered cap; sealed ones verified with the hash Python computed', () => {
    expect(report.gateway_undecodable).toBe(0);
    expect(validateGatewayEvents(report.gateway_events)).toEqual([]);
    // a cap refused for its seal is still placed and recorded (never run), so it has an event too
    const answered = casesOf((c) => c.cap !== undefined && c.message.expect !== 'error');
    const byCap = new Map(report.gateway_events.map((e) => [e.operation_id, e]));
    expect(report.gateway_events).toHaveLength(byCap.size);
    expect([...byCap.keys()].sort()).toEqual(answered.map(({ c }) => c.cap!.cap_id).sort());
    for (const { c, r } of answered) {
      const event = byCap.get(c.cap!.cap_id)!;
      if (c.message.expect === 'rejected') {
        // the untrusted record is not echoed: its own payload and attestation claims are dropped
        expect(event, c.label).toMatchObject({ status: 'rejected', verified: false, content_hash: r.sent_cap!.content_hash, actor_jis_pubkey: null, payload: { intent: c.cap!.intent } });
      } else if (c.sealed) {
        expect(event, c.label).toMatchObject({ status: 'executed', verified: true, content_hash: r.sent_cap!.content_hash, attestation_layer: c.cap!.attestation_layer, payload: c.cap!.payload });
      } else {
        expect(event, c.label).toMatchObject({ status: 'executed', verified: false, attestation_layer: 'none', payload: c.cap!.payload });
      }
    }
  });

  it('keeps serving: the cap after the garbage got its receipt and the worker is still running', () => {
    const last = report.results.at(-1)!;
    expect(cases.at(-1)!.label).toBe('valid cap after the garbage');
    expect(last.receipt_check).toMatchObject({ ok: true });
    expect(last.receipt_check!.record).toMatchObject({ outcome: 'executed' });
    expect(worker.proc.exitCode).toBeNull();
    expect(worker.proc.signalCode).toBeNull();
  });
});
