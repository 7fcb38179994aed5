import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AckPolicy, connect, DiscardPolicy, nanos, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serversFromEnv, splitServers } from '../adapters/nats/env.js';
import { leveledLogger, type LogRecord } from '../adapters/nats/log.js';
import { parseDuration, parseSize } from '../adapters/nats/quantities.js';
import { ensureCapStream, trimAcknowledged } from '../adapters/nats/stream.js';
import { BIN, skipNats, spawnWorker, startNatsServer, stopProcess, waitFor, type NatsServer } from './tools/nats-server.js';

/** product.md §8 / issue 14.5: configuration like other NATS tools. */

describe('quantities, server lists and log levels', () => {
  it('durations and sizes as operators write them; anything else is an error naming the forms', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    for (const bad of ['', '12', '1.5h', '-1s', '3w', 'h']) expect(() => parseDuration(bad), bad).toThrow(/not a duration: .*ms, s, m, h or d/);
    expect(parseSize('0')).toBe(0);
    expect(parseSize('1048576')).toBe(1_048_576);
    expect(parseSize('512MB')).toBe(512_000_000);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    for (const bad of ['', '1.5GB', '-1', '10 parsecs', '99999999999999999999']) expect(() => parseSize(bad), bad).toThrow(/not a size/);
  });

  it('NATS_URL takes a comma-separated list as the NATS CLI does', () => {
    expect(splitServers(' nats://a:4222, tls://b:4222,,')).toEqual(['nats://a:4222', 'tls://b:4222']);
    expect(serversFromEnv({ NATS_URL: 'nats://a:1,nats://b:2' })).toEqual(['nats://a:1', 'nats://b:2']);
    expect(serversFromEnv({ NATS_URL: ' ' })).toBeNull();
    expect(serversFromEnv({})).toBeNull();
  });

  it('a leveled logger keeps the records at least as severe as its level', () => {
    const seen: LogRecord[] = [];
    const log = leveledLogger('warn', (r) => seen.push(r));
    for (const level of ['info', 'warn', 'error'] as const) log({ level, msg: level });
    expect(seen.map((r) => r.msg)).toEqual(['warn', 'error']);
  });

  it('a bad --log-level, LOG_LEVEL or stream limit is a usage error (exit 2) naming it', () => {
    const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [BIN, 'serve', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    const flag = run(['--log-level', 'chatty']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/--log-level.*chatty.*error, warn, info/s);
    const env = run([], { LOG_LEVEL: 'loud' });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/'loud' from env 'LOG_LEVEL' is invalid/);
    const age = run(['--stream-max-age', '7 days']);
    expect(age.status).toBe(2);
    expect(age.stderr).toMatch(/--stream-max-age.*not a duration/s);
  });

  it('a login variable in the environment does not turn an in-process emit into an error', () => {
    const r = spawnSync(process.execPath, [BIN, 'emit', '--actor', 'a.aint', '--intent', 'agent.tool.high'], { encoding: 'utf8', env: { ...process.env, NATS_TOKEN: 'sesame' } });
    expect(r.status, r.stderr).toBe(0);
    // typed on the command line it still is refused, as before
    const typed = spawnSync(process.execPath, [BIN, 'emit', '--actor', 'a.aint', '--intent', 'agent.tool.high', '--token', 'x'], { encoding: 'utf8' });
    expect(typed.status).toBe(2);
    expect(typed.stderr).toMatch(/--token: only with --nats/);
  });
});

describe.skipIf(skipNats)('NATS options from the environment', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer(['--user', 'ops', '--pass', 'hunter2-secret']);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('serve, emit --nats and tail log in with NATS_URL, NATS_USER and NATS_PASSWORD; the password is not in the process list', async () => {
    const env = { NATS_URL: server.url, NATS_USER: 'ops', NATS_PASSWORD: 'hunter2-secret' };
    const worker = await spawnWorker([], 15_000, env);
    try {
      expect(worker.logs.find((r) => r.msg === 'ready')).toMatchObject({ servers: [server.url] });
      expect(readFileSync(`/proc/${worker.proc.pid}/cmdline`, 'utf8')).not.toContain('hunter2');
      const tail = spawn(process.execPath, [BIN, 'tail', '--count', '1'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let tailed = '';
      tail.stdout!.on('data', (chunk: Buffer) => (tailed += chunk.toString()));
      try {
        // tail subscribes asynchronously: emit until it has seen one event
        await waitFor('tail to print an event', () => {
          const r = spawnSync(process.execPath, [BIN, 'emit', '--nats', '--actor', 'a.aint', '--intent', 'agent.tool.high'], { encoding: 'utf8', env: { ...process.env, ...env } });
          expect(r.status, r.stderr).toBe(0);
          expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'executed' });
          return tailed.includes('"intent":"agent.tool.high"');
        }, 15_000, 200);
      } finally {
        await stopProcess(tail, 2_000);
      }
    } finally {
      await worker.stop();
    }
  }, 40_000);

  it('a flag wins over its variable: a wrong NATS_PASSWORD is overridden by --password', async () => {
    const worker = await spawnWorker(['--password', 'hunter2-secret'], 15_000, { NATS_URL: server.url, NATS_USER: 'ops', NATS_PASSWORD: 'wrong' });
    await worker.stop();
    const r = spawnSync(process.execPath, [BIN, 'emit', '--nats', '--actor', 'a.aint', '--intent', 'agent.tool.high'], {
      encoding: 'utf8',
      env: { ...process.env, NATS_URL: server.url, NATS_USER: 'ops', NATS_PASSWORD: 'wrong' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot connect to NATS .*(Authorization|authorization)/);
  }, 30_000);

  it('LOG_LEVEL=warn keeps the info lines (ready, stopped) out and the warnings in', async () => {
    const proc = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, NATS_URL: server.url, NATS_USER: 'ops', NATS_PASSWORD: 'hunter2-secret', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let raw = '';
    proc.stderr!.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    try {
      await waitFor('the no --bus-key warning', () => raw.includes('no --bus-key'), 15_000);
    } finally {
      await stopProcess(proc, 10_000);
    }
    const levels = raw.trim().split('\n').map((line) => (JSON.parse(line) as LogRecord).level);
    expect(levels).toContain('warn');
    expect(levels).not.toContain('info');
  }, 30_000);
});

describe.skipIf(skipNats)('CAPBUS stream limits', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it('serve --jetstream sets the limits: size with discard-new, age as given; the default bounds size only', async () => {
    const worker = await spawnWorker(['--nats', server.url, '--jetstream', '--stream-max-age', '7d', '--stream-max-bytes', '10MB']);
    await worker.stop();
    const jsm = await nc.jetstreamManager();
    expect((await jsm.streams.info('CAPBUS')).config).toMatchObject({ max_age: nanos(604_800_000), max_bytes: 10_000_000, discard: DiscardPolicy.New });
    // a restart without the flags brings the defaults back
    const again = await spawnWorker(['--nats', server.url, '--jetstream']);
    await again.stop();
    expect((await jsm.streams.info('CAPBUS')).config).toMatchObject({ max_age: 0, max_bytes: 1024 ** 3, discard: DiscardPolicy.New });
  }, 40_000);

  it('trimming removes exactly the caps every consumer acknowledged; a full stream refuses new caps and keeps the stored ones', async () => {
    const jsm = await nc.jetstreamManager();
    await ensureCapStream(jsm, 'TRIMTEST', 'trim.cap.>', { maxBytes: 2_000 });
    await jsm.consumers.add('TRIMTEST', { durable_name: 'w', ack_policy: AckPolicy.Explicit });
    await jsm.consumers.add('TRIMTEST', { durable_name: 'slow', ack_policy: AckPolicy.Explicit });
    const js = nc.jetstream();
    for (let i = 1; i <= 5; i++) await js.publish(`trim.cap.x`, new TextEncoder().encode(`cap ${i}`));
    const ack = async (consumer: string, n: number) => {
      const messages = await (await js.consumers.get('TRIMTEST', consumer)).fetch({ max_messages: n, expires: 2_000 });
      for await (const m of messages) await m.ackAck();
    };
    await ack('w', 5);
    await ack('slow', 2);
    // 'slow' has acknowledged only the first two: only those go
    expect(await trimAcknowledged(jsm, 'TRIMTEST')).toBe(2);
    expect((await jsm.streams.info('TRIMTEST')).state).toMatchObject({ first_seq: 3, messages: 3 });
    expect(await trimAcknowledged(jsm, 'TRIMTEST')).toBe(0);

    // fill it: the publish that does not fit is refused, nothing stored is dropped
    const big = new Uint8Array(600);
    let refused: { api_error?: { description?: string } } | null = null;
    for (let i = 0; i < 10 && refused === null; i++) await js.publish('trim.cap.x', big).catch((error: { api_error?: { description?: string } }) => (refused = error));
    expect(refused!.api_error?.description).toBe('maximum bytes exceeded');
    expect((await jsm.streams.info('TRIMTEST')).state.first_seq).toBe(3);
  }, 30_000);
});
