import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers, type NatsConnection, type ServiceInfo, type ServiceStats } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCapBus, type CapBusClient } from '../adapters/nats/index.js';
import { parseListenAddress } from '../adapters/ops/index.js';
import { BIN, freePort, skipNats, spawnWorker, startNatsServer, waitFor, type NatsServer, type SpawnedWorker } from './tools/nats-server.js';
import { owners } from './tools/partitions.js';

/** product.md §8: a serve worker is a NATS service, and with --http answers health, readiness and metrics. */

const dir = mkdtempSync(join(tmpdir(), 'capbus-ops-'));
const devices = join(dir, 'devices.json');
writeFileSync(devices, JSON.stringify([{ device_id: 'press-1', profile: 'building', tolerances: {}, physical_actor: 'press-1.plc.aint', twin_actor: 'press-twin.aint' }]));

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

/** The value of one sample line of a Prometheus text exposition, or null. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

describe('listen address', () => {
  it('HOST:PORT and [IPv6]:PORT; anything else names the form', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListenAddress('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    for (const bad of ['9464', ':9464', '127.0.0.1', '127.0.0.1:70000', '::1:80', 'a b:1']) expect(() => parseListenAddress(bad), bad).toThrow(/is not HOST:PORT/);
  });

  it('a bad --http is a usage error (exit 2); so is a port already taken', async () => {
    const bad = spawnSync(process.execPath, [BIN, 'serve', '--http', 'nowhere'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--http .*is not HOST:PORT/);
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--nats', 'nats://127.0.0.1:1', '--http', `127.0.0.1:${port}`], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`cannot serve HTTP on 127.0.0.1:${port}: EADDRINUSE`));
    } finally {
      taken.close();
    }
  });
});

describe.skipIf(skipNats)('a serve worker as a NATS service, with health and metrics', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let client: CapBusClient;
  let worker: SpawnedWorker;
  let http: string;

  beforeAll(async () => {
    server = await startNatsServer();
    http = `http://127.0.0.1:${await freePort()}`;
    worker = await spawnWorker(['--nats', server.url, '--http', http.slice('http://'.length), '--max-hops', '2', '--twin-devices', devices]);
    nc = await connect({ servers: server.url });
    client = await connectCapBus({ servers: server.url, timeoutMs: 10_000 });
    // the service registers right after "ready"
    await waitFor('the capbus service', async () => (await nc.services.client().ping('capbus').then(async (it) => (await collect(it)).length)) > 0, 10_000, 100);
  }, 40_000);

  afterAll(async () => {
    await client?.close();
    await nc?.close();
    await worker?.stop();
    await server?.dispose();
  });

  it('answers $SRV.PING, $SRV.INFO and $SRV.STATS as service capbus, with one endpoint group per subject family', async () => {
    const ping = (await nc.request('$SRV.PING.capbus', '', { timeout: 2_000 })).json<{ name: string; version: string; metadata: Record<string, string> }>();
    expect(ping).toMatchObject({ name: 'capbus', version: expect.stringMatching(/^\d+\.\d+\.\d+/), metadata: { prefix: 'capbus', queue: 'capbus', mode: 'core' } });
    const info = (await nc.request('$SRV.INFO.capbus', '', { timeout: 2_000 })).json<ServiceInfo>();
    expect(info.description).toMatch(/tibet-cap-bus/);
    expect(info.endpoints.map((e) => [e.subject, e.metadata?.subject])).toEqual([
      ['capbus.svc.cap.status', 'capbus.cap.>'],
      ['capbus.svc.receipt.status', 'capbus.receipt.<cap_id>'],
      ['capbus.svc.event.status', 'capbus.event.gateway'],
      ['capbus.svc.part.status', 'capbus.part.<p>'],
    ]);
  });

  it('stats carry caps by outcome, refusals by code, average processing time and owned partitions', async () => {
    await client.emit({ actor_id: 'a.aint', intent: 'agent.tool.high', authority_ref: 'sam:tool', payload: {} });
    // unattested and asking for reject: a rejected receipt and its triage follow-up
    await client.emit({ actor_id: 'edge', intent: 'service.rpc.billing', authority_ref: 'sam:rpc', attestation_layer: 'none', payload: { continuation_mode: 'reject' } });
    // a message that is not a cap: refused by the transport
    const json = headers();
    json.set('Content-Type', 'application/json');
    const refused = await nc.request('capbus.cap.agent.tool.high', '{not json', { timeout: 2_000, headers: json });
    expect(refused.headers?.get('Tibet-Error')).toBe('bad-json');
    await waitFor('the triage follow-up', async () => (await capStats()).caps.executed! >= 2);
    const stats = await capStats();
    expect(stats.caps).toEqual({ executed: 2, rejected: 1, 'resync-needed': 0 });
    expect(stats.refusals).toEqual({ 'bad-json': 1 });
    expect(stats.average_processing_ms).toBeGreaterThan(0);
    const all = (await nc.request('$SRV.STATS.capbus', '', { timeout: 2_000 })).json<ServiceStats>();
    // one worker of a partitioned deployment (the default) owns all 16 partitions
    expect(all.endpoints!.find((e) => e.subject === 'capbus.svc.part.status')!.data).toMatchObject({ partitions: { partitioned: true, count: 16, owned: Array.from({ length: 16 }, (_, p) => p) } });
    // the status endpoint answers the same facts on request
    expect((await nc.request('capbus.svc.cap.status', '', { timeout: 2_000 })).json()).toMatchObject({ family: 'cap', caps: stats.caps });

    async function capStats() {
      const s = (await nc.request('$SRV.STATS.capbus', '', { timeout: 2_000 })).json<ServiceStats>();
      return s.endpoints!.find((e) => e.subject === "capbus.svc.cap.status")!.data as { caps: Record<string, number>; refusals: Record<string, number>; average_processing_ms: number };
    }
  });

  it('/metrics: caps by outcome and lane class, execution latency histogram, refusals, twin decisions, in Prometheus text', async () => {
    // a guarded factory command with no reported states: blocked by the twin guard (resync-needed)
    await client.emit({ actor_id: 'press-ctl', intent: 'factory.press.cycle', authority_ref: 'sam:ctl', payload: { device_id: 'press-1' } });
    const m = await get(`${http}/metrics`);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.text).toMatch(/# TYPE capbus_caps_total counter/);
    expect(sample(m.text, 'capbus_caps_total{outcome="executed",lane_class="agent-high"}')).toBe(1);
    expect(sample(m.text, 'capbus_caps_total{outcome="rejected",lane_class="service-standard"}')).toBe(1);
    expect(sample(m.text, 'capbus_caps_total{outcome="resync-needed",lane_class="industrial-control"}')).toBe(1);
    expect(sample(m.text, 'capbus_refusals_total{code="bad-json"}')).toBe(1);
    expect(sample(m.text, 'capbus_twin_guard_decisions_total{decision="blocked"}')).toBe(1);
    expect(m.text).toMatch(/# TYPE capbus_execution_duration_seconds histogram/);
    expect(sample(m.text, 'capbus_execution_duration_seconds_count{lane_class="agent-high"}')).toBe(1);
    expect(sample(m.text, 'capbus_execution_duration_seconds_bucket{le="+Inf",lane_class="agent-high"}')).toBe(1);
    expect(sample(m.text, 'capbus_nats_reconnects_total')).toBe(0);
    expect(m.text).toMatch(/^capbus_process_cpu_seconds_total /m);
  });

  it('/metrics: lane running and queued gauges follow the lane mux (burst limit 2, four slow caps)', async () => {
    // a triage.resync lane has burst limit 2; each cap asks the echo executor for 1.5 s of work
    const lane = 'lane:triage.resync:ops';
    const held = Array.from({ length: 4 }, () => client.emit({ actor_id: 'ops.aint', intent: 'ops.batch.run', authority_ref: 'sam:ops', lane_hint: lane, payload: { duration_ms: 1_500 } }, { timeoutMs: 15_000 }));
    let text = '';
    await waitFor('four caps on the lane', async () => {
      text = (await get(`${http}/metrics`)).text;
      return (sample(text, `capbus_lane_running_caps{lane_id="${lane}"}`) ?? 0) + (sample(text, `capbus_lane_queued_caps{lane_id="${lane}"}`) ?? 0) === 4;
    }, 5_000, 50);
    expect(sample(text, `capbus_lane_running_caps{lane_id="${lane}"}`)).toBe(2);
    expect(sample(text, `capbus_lane_queued_caps{lane_id="${lane}"}`)).toBe(2);
    await Promise.all(held);
    // idle lanes are forgotten
    expect(sample((await get(`${http}/metrics`)).text, `capbus_lane_running_caps{lane_id="${lane}"}`)).toBeNull();
  }, 30_000);

  it('/healthz and /readyz follow the NATS connection; a reconnect is counted', async () => {
    expect(JSON.parse((await get(`${http}/healthz`)).text)).toEqual({ status: 'ok', nats: 'connected' });
    expect(JSON.parse((await get(`${http}/readyz`)).text)).toMatchObject({ status: 'ready', serving: true, partitions: { partitioned: true, count: 16 } });
    await client.close();
    await nc.close();
    await server.stop();
    await waitFor('healthz to fail', async () => (await get(`${http}/healthz`)).status === 503, 10_000);
    expect((await get(`${http}/readyz`)).status).toBe(503);
    await server.restart();
    await waitFor('healthz to recover', async () => (await get(`${http}/healthz`)).status === 200, 15_000);
    expect(sample((await get(`${http}/metrics`)).text, 'capbus_nats_reconnects_total')).toBe(1);
    nc = await connect({ servers: server.url });
    client = await connectCapBus({ servers: server.url, timeoutMs: 10_000 });
  }, 40_000);

  it('unknown paths are 404, other methods 405, with a JSON error', async () => {
    const missing = await get(`${http}/nope`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({ error: 'not-found' });
    const post = await fetch(`${http}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe.skipIf(skipNats)('several workers', () => {
  it('each worker answers $SRV.PING.capbus; without --http none listens on HTTP', async () => {
    const server = await startNatsServer();
    const workers = await Promise.all([spawnWorker(['--nats', server.url]), spawnWorker(['--nats', server.url])]);
    const nc = await connect({ servers: server.url });
    try {
      let ids: string[] = [];
      await waitFor('both services', async () => {
        ids = (await collect(await nc.services.client().ping('capbus'))).map((p) => p.metadata?.worker ?? '');
        return ids.length === 2;
      }, 10_000, 100);
      expect(new Set(ids).size).toBe(2);
      for (const w of workers) expect(w.logs.some((r) => r.msg === 'http ready')).toBe(false);
    } finally {
      await nc.close();
      await Promise.all(workers.map((w) => w.stop()));
      await server.dispose();
    }
  }, 40_000);
});

describe.skipIf(skipNats)('readiness of a partitioned worker', () => {
  const readyz = async (url: string) => {
    const r = await get(`${url}/readyz`);
    return { status: r.status, body: JSON.parse(r.text) as { serving: boolean; partitions: { owned: number[]; first_share_held: boolean } } };
  };

  it('a joining worker answers 503 while subscribed until it holds its first share (a running cap delays one partition)', async () => {
    const server = await startNatsServer();
    const executed = join(dir, 'executed-rz.log');
    const workers: SpawnedWorker[] = [];
    const client = await connectCapBus({ servers: server.url, prefix: 'rz', timeoutMs: 30_000 });
    try {
      workers.push(await spawnWorker(['--nats', server.url, '--subject-prefix', 'rz', '--executed-log', executed]));
      // lane:agent.tool.high:default is partition 12 (README's test vector); the first worker keeps 0-7
      // when a second joins, and hands 12 back only once this cap is done
      const long = client.emit({ actor_id: 'slow.aint', intent: 'agent.tool.high', authority_ref: 'sam:t', payload: { duration_ms: 6_000 } });
      await waitFor('the long cap to run', () => existsSync(executed) && readFileSync(executed, 'utf8').length > 0, 10_000);
      const http = `http://127.0.0.1:${await freePort()}`;
      workers.push(await spawnWorker(['--nats', server.url, '--subject-prefix', 'rz', '--http', http.slice('http://'.length)]));
      let joining = await readyz(http);
      await waitFor('the joiner to serve', async () => (joining = await readyz(http)).body.serving, 10_000, 20);
      expect(joining.status).toBe(503);
      expect(joining.body.partitions.first_share_held).toBe(false);
      expect(joining.body.partitions.owned).not.toContain(12);
      let ready = joining;
      await waitFor('the joiner to be ready', async () => (ready = await readyz(http)).status === 200, 20_000, 20);
      expect(ready.body).toMatchObject({ status: 'ready', serving: true, partitions: { partitioned: true, count: 16, first_share_held: true } });
      expect(ready.body.partitions.owned).toHaveLength(8);
      expect(ready.body.partitions.owned).toContain(12);
      expect((await long).outcome).toBe('executed');
    } finally {
      await client.close();
      for (const worker of workers) await worker.stop();
      await server.dispose();
    }
  }, 60_000);

  it('a worker whose fair share the others already hold is ready after its first round, owning nothing', async () => {
    const server = await startNatsServer();
    const workers: SpawnedWorker[] = [];
    const nc = await connect({ servers: server.url });
    try {
      // two partitions, one each: a third worker's fair share, ceil(2 / 3) = 1, can never be met
      for (let i = 0; i < 2; i++) workers.push(await spawnWorker(['--nats', server.url, '--subject-prefix', 'rz2', '--partitions', '2']));
      const leases = await nc.jetstream().views.kv('rz2-partitions', { history: 1 });
      await waitFor('one partition each', async () => new Set((await owners(leases, 2)).values()).size === 2, 15_000);
      const http = `http://127.0.0.1:${await freePort()}`;
      workers.push(await spawnWorker(['--nats', server.url, '--subject-prefix', 'rz2', '--partitions', '2', '--http', http.slice('http://'.length)]));
      let third = await readyz(http);
      await waitFor('the third worker to be ready', async () => (third = await readyz(http)).status === 200, 10_000, 20);
      expect(third.body.partitions).toEqual({ partitioned: true, count: 2, owned: [], first_share_held: true });
    } finally {
      await nc.close();
      for (const worker of workers) await worker.stop();
      await server.dispose();
    }
  }, 60_000);
});

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}
