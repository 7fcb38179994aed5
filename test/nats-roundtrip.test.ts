import { spawn, spawnSync } from 'node:child_process';
import { connect, headers as natsHeaders, type Msg, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapBusError, connectCapBus, emitOverNats, memoryBus, startWorker, type CapBusClient, type LogRecord, type Worker } from '../adapters/nats/index.js';
import { makeCap, type Cap, type CapInput } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { signingKeyFromSeed } from '../src/seal/keys.js';
import { CapReceiptSchema, type CapReceipt } from '../src/records/receipt.js';
import { sealCap } from '../src/seal/trust.js';
import { BIN, skipNats, spawnWorker, startNatsServer, waitFor, type NatsServer } from './tools/nats-server.js';

const ctx = { clock: systemClock, ids: randomIds() };
const capOf = (fields: Partial<CapInput> = {}): Cap =>
  makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: { tool: 'search' }, ...fields }, ctx);

const jsonHeaders = (extra: Record<string, string> = {}) => {
  const h = natsHeaders();
  h.set('Content-Type', 'application/json');
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
};

describe.skipIf(skipNats)('NATS transport: JSON round trips', () => {
  let server: NatsServer;
  let worker: Worker;
  let client: CapBusClient;
  let raw: NatsConnection;
  const logs: LogRecord[] = [];
  const executed: string[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    worker = await startWorker({
      servers: server.url,
      bus: memoryBus(),
      log: (record) => logs.push(record),
      onExecute: (cap) => executed.push(cap.cap_id),
    });
    client = await connectCapBus({ servers: server.url });
    raw = await connect({ servers: server.url });
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    await raw?.close();
    await worker?.stop();
    await server?.dispose();
  });

  /** Everything published on a subject while `during` runs, plus `settleMs` after. */
  async function collect(subject: string, during: () => Promise<unknown>, settleMs = 200): Promise<Msg[]> {
    const seen: Msg[] = [];
    const sub = raw.subscribe(subject, { callback: (_e, m) => seen.push(m) });
    await raw.flush();
    await during();
    await new Promise((r) => setTimeout(r, settleMs));
    sub.unsubscribe();
    return seen;
  }

  it('answers a JSON cap with its JSON receipt, and publishes the receipt and the gateway event', async () => {
    const cap = capOf();
    const events: string[] = [];
    const stopTail = await client.tail((event) => events.push(`${event.operation_id} ${event.intent} ${event.status}`));
    let receipt: CapReceipt | undefined;
    const published = await collect(`capbus.receipt.${cap.cap_id}`, async () => (receipt = await client.emit(cap)));
    stopTail();

    expect(CapReceiptSchema.parse(receipt)).toBeTruthy();
    expect(receipt).toMatchObject({ cap_id: cap.cap_id, actor_id: 'codex.aint', outcome: 'executed', continuation_mode: 'receipt' });
    expect(receipt!.payload).toMatchObject({ accepted: true, executed_intent: 'agent.tool.high' });
    expect(published).toHaveLength(1);
    expect(published[0]!.headers?.get('Content-Type')).toBe('application/json');
    expect(published[0]!.json()).toEqual(receipt);
    expect(events).toEqual([`${cap.cap_id} agent.tool.high executed`]);
    expect(executed).toContain(cap.cap_id);
  });

  it('places a cap after the clock its sender presented, and the client follows the bus clock', async () => {
    const reply = await raw.request('capbus.cap.agent.tool.high', JSON.stringify(capOf()), { headers: jsonHeaders({ 'Tibet-Lamport': '5000' }), timeout: 5000 });
    expect(Number(reply.headers?.get('Tibet-Lamport'))).toBeGreaterThan(5000);
    await client.emit(capOf());
    expect(client.lamport).toBeGreaterThan(5001);
  });

  it('publishes follow-ups to their intent subjects one hop further, after the parent, until the hop bound', async () => {
    const root = capOf({ intent: 'agent.plan', payload: { continuation_mode: 'fork' } });
    const forwarded = await collect('capbus.cap.>', () => client.emit(root, { maxHops: 3 }), 400);
    const followUps = forwarded.filter((m) => (m.json<Cap>()).parent_id === root.cap_id);
    expect(followUps.map((m) => m.subject).sort()).toEqual(['capbus.cap.agent.plan.fork.alpha', 'capbus.cap.agent.plan.fork.beta']);
    // the root's reply carried its rank, which the client now holds; follow-ups present exactly that rank
    for (const m of followUps) {
      expect(m.headers?.get('Tibet-Hop')).toBe('1');
      expect(m.headers?.get('Tibet-Max-Hops')).toBe('3');
      expect(Number(m.headers?.get('Tibet-Lamport'))).toBe(client.lamport);
      expect(executed).toContain(m.json<Cap>().cap_id);
    }

    // with the default bound (1 hop) nothing follows
    const alone = capOf({ intent: 'agent.plan', payload: { continuation_mode: 'fork' } });
    const quiet = await collect('capbus.cap.>', () => client.emit(alone), 300);
    expect(quiet.filter((m) => m.json<Cap>().parent_id === alone.cap_id)).toEqual([]);
  });

  const sealed = () => sealCap(capOf(), signingKeyFromSeed(new Uint8Array(32).fill(7))).bytes;
  const coseHeaders = () => {
    const h = natsHeaders();
    h.set('Content-Type', 'application/cose');
    return h;
  };
  const refusals: [string, string, () => { subject?: string; body: string | Uint8Array; headers: ReturnType<typeof natsHeaders> }][] = [
    ['no content type', 'bad-content-type', () => ({ body: JSON.stringify(capOf()), headers: natsHeaders() })],
    ['an unknown content type', 'bad-content-type', () => ({ body: JSON.stringify(capOf()), headers: (() => { const h = natsHeaders(); h.set('Content-Type', 'text/plain'); return h; })() })],
    ['a body that is not JSON', 'bad-json', () => ({ body: '{"actor_id": ', headers: jsonHeaders() })],
    ['a body that is not UTF-8', 'bad-json', () => ({ body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: jsonHeaders() })],
    ['a cap without actor_id', 'bad-cap', () => ({ body: JSON.stringify({ ...capOf(), actor_id: undefined }), headers: jsonHeaders() })],
    ['a JSON array', 'bad-cap', () => ({ body: '[1,2]', headers: jsonHeaders() })],
    ['a subject naming another intent', 'subject-mismatch', () => ({ subject: 'capbus.cap.factory.motion', body: JSON.stringify(capOf()), headers: jsonHeaders() })],
    ['a subject that is no intent', 'bad-subject', () => ({ subject: 'capbus.cap.agent.$tool', body: JSON.stringify(capOf()), headers: jsonHeaders() })],
    ['a non-numeric Tibet-Hop', 'bad-header', () => ({ body: JSON.stringify(capOf()), headers: jsonHeaders({ 'Tibet-Hop': 'two' }) })],
    ['Tibet-Max-Hops 0', 'bad-header', () => ({ body: JSON.stringify(capOf()), headers: jsonHeaders({ 'Tibet-Max-Hops': '0' }) })],
    ['Tibet-Max-Hops 65', 'bad-header', () => ({ body: JSON.stringify(capOf()), headers: jsonHeaders({ 'Tibet-Max-Hops': '65' }) })],
    ['a hop at the bound', 'bad-header', () => ({ body: JSON.stringify(capOf()), headers: jsonHeaders({ 'Tibet-Hop': '3', 'Tibet-Max-Hops': '3' }) })],
    ['a negative Tibet-Lamport', 'bad-header', () => ({ body: JSON.stringify(capOf()), headers: jsonHeaders({ 'Tibet-Lamport': '-1' }) })],
    ['COSE that is not COSE_Sign1', 'bad-cose', () => ({ body: new Uint8Array([0xd1, 0x80]), headers: coseHeaders() })],
    ['a sealed cap under another intent', 'subject-mismatch', () => ({ subject: 'capbus.cap.factory.motion', body: sealed(), headers: coseHeaders() })],
  ];

  it.each(refusals)('refuses %s with Tibet-Error %s, runs nothing, logs it and keeps serving', async (_what, code, build) => {
    const { subject = 'capbus.cap.agent.tool.high', body, headers } = build();
    const before = executed.length;
    const reply = await raw.request(subject, body, { headers, timeout: 5000 });
    expect(reply.headers?.get('Tibet-Error')).toBe(code);
    const answer = reply.json<{ error: string; message: string }>();
    expect(answer.error).toBe(code);
    expect(answer.message.length).toBeGreaterThan(5);
    expect(executed.length).toBe(before);
    expect(logs.some((l) => l.msg === 'refused' && l.code === code && l.level === 'warn')).toBe(true);
    await expect(client.emit(capOf())).resolves.toMatchObject({ outcome: 'executed' });
  });

  it('names the offending field of an invalid cap', async () => {
    const reply = await raw.request('capbus.cap.agent.tool.high', JSON.stringify({ ...capOf(), route_class: 'teleport' }), { headers: jsonHeaders(), timeout: 5000 });
    expect(reply.json<{ message: string }>().message).toMatch(/route_class/);
  });

  it('refuses caps over its size limit', async () => {
    const strict = await startWorker({ servers: server.url, prefix: 'strict', bus: memoryBus(), maxBytes: 2048, log: () => {} });
    const strictClient = await connectCapBus({ servers: server.url, prefix: 'strict' });
    try {
      await expect(strictClient.emit(capOf({ payload: { blob: 'x'.repeat(4096) } }))).rejects.toMatchObject({ code: 'too-large' });
      await expect(strictClient.emit(capOf())).resolves.toMatchObject({ outcome: 'executed' });
    } finally {
      await strictClient.close();
      await strict.stop();
    }
  });

  it('validates caps on the client and says when no worker listens', async () => {
    await expect(client.emit({ actor_id: 'x', intent: 'bad intent!', authority_ref: 'a', payload: {} })).rejects.toSatisfy(
      (e: unknown) => e instanceof CapBusError && e.code === 'bad-cap' && /intent/.test(e.message),
    );
    const lonely = await connectCapBus({ servers: server.url, prefix: 'nobody', timeoutMs: 2000 });
    await expect(lonely.emit(capOf())).rejects.toMatchObject({ code: 'no-worker' });
    await lonely.close();
  });

  it('emitOverNats (for `emit --nats`) returns the receipt, or a CliError with the exit code', async () => {
    const cap = capOf();
    await expect(emitOverNats(cap, { servers: [server.url] })).resolves.toMatchObject({ cap_id: cap.cap_id, outcome: 'executed' });
    await expect(emitOverNats(capOf(), { servers: [server.url], prefix: 'nobody', timeoutMs: 2000 })).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/^no-worker/) });
    const strict = await startWorker({ servers: server.url, prefix: 'tiny', bus: memoryBus(), maxBytes: 100, log: () => {} });
    await expect(emitOverNats(capOf(), { servers: [server.url], prefix: 'tiny' })).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/^too-large/) });
    await strict.stop();
  });

  it('finishes caps in flight when stopped, then drains', async () => {
    const slow = memoryBus({
        phases: { execute: { execute: () => new Promise((resolve) => setTimeout(() => resolve({}), 300)) } },
      });
    const draining = await startWorker({ servers: server.url, prefix: 'slow', bus: slow, log: () => {} });
    const slowClient = await connectCapBus({ servers: server.url, prefix: 'slow' });
    const pending = slowClient.emit(capOf());
    await new Promise((r) => setTimeout(r, 100));
    const stopped = draining.stop();
    await expect(pending).resolves.toMatchObject({ outcome: 'executed' });
    await stopped;
    await slowClient.close();
  });

  it('`serve` answers usage problems with exit 2 and one line, and tries every --nats URL it is given', async () => {
    for (const [args, message] of [
      [['--user', 'ops'], /--user and --password go together/],
      [['--subject-prefix', 'a b'], /subject prefix/],
      [['--max-hops', '0'], /--max-hops must be an integer from 1 to 64/],
      [['--nats', 'nats://127.0.0.1:1'], /cannot connect to NATS/],
    ] as const) {
      const run = spawnSync(process.execPath, [BIN, 'serve', ...args], { encoding: 'utf8', timeout: 15_000 });
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const worker = await spawnWorker(['--nats', 'nats://127.0.0.1:1', '--nats', server.url, '--subject-prefix', 'twourls']);
    const twoUrls = await connectCapBus({ servers: server.url, prefix: 'twourls' });
    await expect(twoUrls.emit(capOf())).resolves.toMatchObject({ outcome: 'executed' });
    await twoUrls.close();
    await worker.stop();
    expect(worker.proc.exitCode).toBe(0);
  });

  it('`tail` prints live gateway events as JSONL', async () => {
    const tail = spawn(process.execPath, [BIN, 'tail', '--nats', server.url, '--count', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    tail.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => tail.once('exit', (code) => resolve(code)));
    // tail subscribes after it starts; emit until it has seen two events
    const sent: string[] = [];
    await waitFor('tail to print two events', async () => {
      const cap = capOf();
      sent.push(cap.cap_id);
      await client.emit(cap);
      return out.split('\n').filter(Boolean).length >= 2;
    }, 15_000, 100);
    expect(await exited).toBe(0);
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as { operation_id: string; observation_layer: string });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(sent).toContain(line.operation_id);
      expect(line.observation_layer).toBe('tibet-gateway');
    }
  });
});
