import { connect, headers as natsHeaders, type MsgHdrs } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCap, type Cap } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { skipNats, spawnWorker, startNatsServer, waitFor, type NatsServer, type SpawnedWorker } from './tools/nats-server.js';

const VALID = 2_000;
const GARBAGE_EVERY = 4; // one bad message after every four good ones: 500 in all

const headersOf = (fields: Record<string, string>): MsgHdrs => {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(fields)) h.set(k, v);
  return h;
};
const JSON_TYPE = { 'Content-Type': 'application/json' };

/** The bad messages of the burst, in rotation, each with the Tibet-Error it must earn. */
const GARBAGE: ((cap: Cap) => { subject: string; body: string | Uint8Array; headers: MsgHdrs; code: string })[] = [
  (cap) => ({ subject: `capbus.cap.${cap.intent}`, body: '{"cap_id": "half', headers: headersOf(JSON_TYPE), code: 'bad-json' }),
  (cap) => ({ subject: `capbus.cap.${cap.intent}`, body: JSON.stringify({ ...cap, payload: 'not an object' }), headers: headersOf(JSON_TYPE), code: 'bad-cap' }),
  (cap) => ({ subject: `capbus.cap.${cap.intent}`, body: JSON.stringify(cap), headers: headersOf({}), code: 'bad-content-type' }),
  (cap) => ({ subject: 'capbus.cap.somewhere.else', body: JSON.stringify(cap), headers: headersOf(JSON_TYPE), code: 'subject-mismatch' }),
  (cap) => ({ subject: `capbus.cap.${cap.intent}`, body: JSON.stringify(cap), headers: headersOf({ ...JSON_TYPE, 'Tibet-Hop': '-3' }), code: 'bad-header' }),
  (cap) => ({ subject: `capbus.cap.${cap.intent}`, body: new Uint8Array([0xd2, 0x84, 0x40]), headers: headersOf({ 'Content-Type': 'application/cose' }), code: 'bad-cose' }),
  (cap) => ({ subject: `capbus.cap.${cap.intent}`, body: JSON.stringify({ ...cap, payload: { blob: 'x'.repeat(5000) } }), headers: headersOf(JSON_TYPE), code: 'too-large' }),
];

describe.skipIf(skipNats)('NATS transport: a burst with garbage mixed in', () => {
  let server: NatsServer;
  let worker: SpawnedWorker;

  beforeAll(async () => {
    server = await startNatsServer();
    worker = await spawnWorker(['--nats', server.url, '--max-bytes', '4096']);
  }, 30_000);

  afterAll(async () => {
    await worker?.stop();
    await server?.dispose();
  });

  it(`answers ${VALID.toLocaleString('en-US')} valid caps with one receipt each and every bad message with its error, and keeps running`, async () => {
    const nc = await connect({ servers: server.url });
    const receiptsPublished = new Map<string, number>();
    nc.subscribe('capbus.receipt.>', {
      callback: (_e, msg) => {
        const capId = msg.subject.slice('capbus.receipt.'.length);
        receiptsPublished.set(capId, (receiptsPublished.get(capId) ?? 0) + 1);
      },
    });
    await nc.flush();

    const ctx = { clock: systemClock, ids: randomIds() };
    const intents = ['agent.tool.high', 'service.rpc.standard', 'factory.motion.control', 'misc.op'];
    const caps = Array.from({ length: VALID }, (_, i) =>
      makeCap({ actor_id: i % 2 ? 'codex.aint' : 'api-gateway', intent: intents[i % intents.length]!, authority_ref: 'sam:burst', payload: { i } }, ctx),
    );
    const requests: Promise<{ kind: 'valid'; cap: Cap; reply: Record<string, unknown>; error: string | undefined } | { kind: 'bad'; code: string; got: string | undefined }>[] = [];
    caps.forEach((cap, i) => {
      const headers = headersOf(JSON_TYPE);
      requests.push(
        nc.request(`capbus.cap.${cap.intent}`, JSON.stringify(cap), { headers, timeout: 30_000 }).then((m) => ({
          kind: 'valid' as const,
          cap,
          reply: m.json<Record<string, unknown>>(),
          error: m.headers?.get('Tibet-Error') || undefined,
        })),
      );
      if ((i + 1) % GARBAGE_EVERY === 0) {
        const bad = GARBAGE[((i + 1) / GARBAGE_EVERY) % GARBAGE.length]!(cap);
        requests.push(
          nc.request(bad.subject, bad.body, { headers: bad.headers, timeout: 30_000 }).then((m) => ({ kind: 'bad' as const, code: bad.code, got: m.headers?.get('Tibet-Error') })),
        );
      }
    });

    const outcomes = await Promise.all(requests);
    const valid = outcomes.filter((o) => o.kind === 'valid');
    const bad = outcomes.filter((o) => o.kind === 'bad');
    expect(valid).toHaveLength(VALID);
    expect(bad).toHaveLength(VALID / GARBAGE_EVERY);
    for (const o of valid) {
      expect(o.error).toBeUndefined();
      expect(o.reply).toMatchObject({ cap_id: o.cap.cap_id, outcome: 'executed' });
    }
    for (const o of bad) expect(o.got).toBe(o.code);

    await waitFor('a published receipt for every valid cap', () => receiptsPublished.size >= VALID, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiptsPublished.size).toBe(VALID);
    expect([...receiptsPublished.values()].every((n) => n === 1)).toBe(true);
    expect(caps.every((cap) => receiptsPublished.get(cap.cap_id) === 1)).toBe(true);

    // still alive and serving, and it logged every refusal as a structured line
    expect(worker.proc.exitCode).toBeNull();
    const after = makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:burst', payload: {} }, ctx);
    const reply = await nc.request('capbus.cap.agent.tool.high', JSON.stringify(after), { headers: headersOf(JSON_TYPE), timeout: 5_000 });
    expect(reply.json()).toMatchObject({ cap_id: after.cap_id, outcome: 'executed' });
    await waitFor('a log line per refusal', () => worker.logs.filter((l) => l.msg === 'refused').length >= bad.length, 5_000);
    expect(worker.logs.filter((l) => l.msg === 'refused').every((l) => l.level === 'warn' && typeof l.code === 'string')).toBe(true);
    await nc.close();
  }, 60_000);
});
