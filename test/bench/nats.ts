import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Msg, NatsConnection } from 'nats';
import { capHeaders, connectCapBus, readReceiptReply, subjectsFor, type CapBusClient } from '../../adapters/nats/index.js';
import { connectNats } from '../../adapters/nats/connection.js';
import { makeCap, type Cap } from '../../src/records/cap.js';
import type { CapReceipt } from '../../src/records/receipt.js';
import { randomIds, systemClock } from '../../src/clock.js';
import { generateKeyFile, signingKeyFromSeed } from '../../src/seal/keys.js';
import { writeKeyFile } from '../../adapters/node/key-files.js';
import { keyText } from '../../src/seal/seal.js';
import { sealCap } from '../../src/seal/trust.js';
import { nodeBackend } from '../../adapters/node/ed25519.js';
import { spawnWorker, startNatsServer, type SpawnedWorker } from '../tools/nats-server.js';
import type { BenchRow } from './table.js';

/**
 * End to end over NATS: this process sends sealed caps to `tibet-cap-bus serve` worker
 * processes (the built bin, verifying caps against a keyring and sealing receipts with a shared
 * bus key) through a private nats-server. Needs `npm run build` and nats-server.
 */

const THROUGHPUT_CAPS = 10_000;
/** throughput rounds after the warm-up; the best counts, as for the in-process rows it is compared with */
const THROUGHPUT_ROUNDS = 3;
const DURABLE_CAPS = 5_000;
/** requests in flight at once when measuring throughput */
export const WINDOW = 256;
const OFFERED_FOR_S = 3;

const ctx = { clock: systemClock, ids: randomIds() };
/** the actor whose sealed caps the bench sends; the workers' keyring binds it */
const actorKey = signingKeyFromSeed(new Uint8Array(32).fill(3), nodeBackend);
const intents = ['agent.tool.high', 'service.rpc.standard', 'factory.motion.control', 'misc.op'];
const capsFor = (n: number): Cap[] =>
  Array.from({ length: n }, (_, i) => makeCap({ actor_id: i % 2 ? 'codex.aint' : 'api-gateway', intent: intents[i % intents.length]!, authority_ref: 'sam:bench', payload: { i } }, ctx));

/** Items/s of `send(0 … count - 1)` with WINDOW of them in flight at any time. */
export async function inFlightRate(count: number, send: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < count) await send(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

function mustBeExecuted(receipt: CapReceipt): void {
  if (receipt.outcome !== 'executed') throw new Error(`bench cap not executed: ${JSON.stringify(receipt.payload)}`);
}

/**
 * Caps/s of one sender standing for many, each sealing on its own machine: the sender must not be
 * what is measured. Caps are sealed before the clock starts, and every reply is checked (receipt
 * seal, bus key, outcome) after it stops.
 */
async function sealedRate(nc: NatsConnection, busKey: string, caps: readonly Cap[]): Promise<number> {
  const subjects = subjectsFor();
  const sealed = caps.map((cap) => ({ subject: subjects.cap(cap.intent), bytes: sealCap(cap, actorKey, nodeBackend).bytes }));
  const headers = capHeaders({ encoding: 'cose' });
  const replies: Msg[] = [];
  const rate = await inFlightRate(sealed.length, async (i) => {
    replies[i] = await nc.request(sealed[i]!.subject, sealed[i]!.bytes, { headers, timeout: 30_000 });
  });
  for (const reply of replies) mustBeExecuted(readReceiptReply(reply, { backend: nodeBackend, busKey }).receipt);
  return rate;
}

/** The best of THROUGHPUT_ROUNDS sealed rates, after a warm-up round (JIT, connections). */
async function bestSealedRate(nc: NatsConnection, busKey: string): Promise<number> {
  await sealedRate(nc, busKey, capsFor(2_000));
  let best = 0;
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) best = Math.max(best, await sealedRate(nc, busKey, capsFor(THROUGHPUT_CAPS)));
  return best;
}

/** Latencies (ms) of requests sent at a fixed rate, regardless of how fast answers come. */
async function offeredLatencies(client: CapBusClient, perSecond: number, seconds: number): Promise<number[]> {
  const tickMs = 5;
  const perTick = (perSecond * tickMs) / 1000;
  const caps = capsFor(perSecond * seconds);
  const latencies: Promise<number>[] = [];
  const started = performance.now();
  let sent = 0;
  while (sent < caps.length) {
    // catch up to the schedule, so a late timer does not lower the offered rate
    const due = Math.min(caps.length, Math.floor(((performance.now() - started) / tickMs + 1) * perTick));
    for (; sent < due; sent++) {
      const t0 = performance.now();
      latencies.push(client.emit(caps[sent]!, { key: actorKey }).then(() => performance.now() - t0));
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  return Promise.all(latencies);
}

/**
 * The floor under the latency rows: latencies (ms) of a bare request/reply echo (a 300-byte body,
 * answered at once by another connection) through the same server, offered like the caps.
 */
async function echoLatencies(nc: NatsConnection, responder: NatsConnection, perSecond: number, seconds: number): Promise<number[]> {
  const sub = responder.subscribe('bench.echo', { callback: (error, msg) => error || msg.respond(msg.data) });
  await responder.flush();
  const body = new Uint8Array(300);
  const tickMs = 5;
  const perTick = (perSecond * tickMs) / 1000;
  const total = perSecond * seconds;
  const latencies: Promise<number>[] = [];
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / tickMs + 1) * perTick));
    for (; sent < due; sent++) {
      const t0 = performance.now();
      latencies.push(nc.request('bench.echo', body, { timeout: 30_000 }).then(() => performance.now() - t0));
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  const all = await Promise.all(latencies);
  sub.unsubscribe();
  return all;
}

export const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * Sealed caps end to end: throughput from a sender that seals ahead and checks after (see
 * sealedRate); latency and durable mode through the client library, which seals and checks each
 * cap as it goes. `inProcessSealed` is the in-process sealed pipeline's caps/s measured in the
 * same run, the bar one worker is held to.
 */
export async function benchNats(inProcessSealed: number, inProcessInFlight: number): Promise<BenchRow[]> {
  const server = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'capbus-bench-'));
  const keyFile = join(dir, 'bus.key');
  const busKeyFile = generateKeyFile('bus');
  writeKeyFile(keyFile, busKeyFile);
  const ringFile = join(dir, 'keyring.json');
  writeFileSync(ringFile, JSON.stringify({ actors: { 'codex.aint': [keyText(actorKey.publicKey)], 'api-gateway': [keyText(actorKey.publicKey)] }, bus: busKeyFile.public_key }));
  const workers: SpawnedWorker[] = [];
  const busKey = busKeyFile.public_key;
  const client = await connectCapBus({ servers: server.url, timeoutMs: 30_000, backend: nodeBackend, busKey });
  const sender = await connectNats({ servers: server.url, name: 'capbus-bench-sender' });
  try {
    const serve = async (...extra: string[]) => workers.push(await spawnWorker(['--nats', server.url, '--bus-key', keyFile, '--keyring', ringFile, ...extra]));

    await serve();
    const one = await bestSealedRate(sender, busKey);
    // half the capacity just measured, through the client (it seals each cap and checks each receipt)
    const offeredPerS = Math.round(one / 2);
    const sorted = (await offeredLatencies(client, offeredPerS, OFFERED_FOR_S)).sort((a, b) => a - b);
    const responder = await connectNats({ servers: server.url, name: 'capbus-bench-echo' });
    const echo = (await echoLatencies(sender, responder, offeredPerS, OFFERED_FOR_S)).sort((a, b) => a - b);
    await responder.close();

    await serve();
    const two = await bestSealedRate(sender, busKey);

    for (const worker of workers.splice(0)) await worker.stop();
    await serve('--jetstream');
    // through the client library, which seals each cap and checks each receipt as it comes
    const durableClient = await connectCapBus({ servers: server.url, durable: true, timeoutMs: 30_000, backend: nodeBackend, busKey });
    const durableCaps = capsFor(DURABLE_CAPS);
    const durable = await inFlightRate(durableCaps.length, async (i) => mustBeExecuted(await durableClient.emit(durableCaps[i]!, { key: actorKey })));
    await durableClient.close();

    const offered = `at ${offeredPerS.toLocaleString('en-US')} caps/s offered for ${OFFERED_FOR_S} s (half of 1 worker's rate)`;
    const p99 = percentile(sorted, 99);
    const pct = (n: number, of: number) => `${((n / of) * 100).toFixed(0)}%`;
    return [
      {
        name: 'NATS sealed request/receipt, 1 worker (caps sealed ahead, receipts checked after)',
        value: one,
        unit: 'caps/s',
        target: `>= 60% of in-process sealed, one at a time (${Math.round(inProcessSealed).toLocaleString('en-US')}): ${pct(one, inProcessSealed)}; of 256 in flight: ${pct(one, inProcessInFlight)}`,
        met: one >= 0.6 * inProcessSealed,
      },
      { name: 'NATS sealed request/receipt, 2 workers (queue group), same sender', value: two, unit: 'caps/s', target: `${WINDOW} in flight; x${(two / one).toFixed(2)} of 1 worker` },
      { name: 'NATS request latency p50', value: percentile(sorted, 50), unit: 'ms', target: offered },
      { name: 'NATS request latency p99', value: p99, unit: 'ms', target: `<= 5 ms ${offered}`, met: p99 <= 5 },
      { name: 'floor: bare NATS request/reply echo, p50', value: percentile(echo, 50), unit: 'ms', target: `same server, same offered rate, no bus: what this host's loopback and scheduler cost` },
      { name: 'floor: bare NATS request/reply echo, p99', value: percentile(echo, 99), unit: 'ms', target: 'the latency rows above cannot go below this' },
      {
        name: 'NATS sealed durable (JetStream + KV), 1 worker',
        value: durable,
        unit: 'caps/s',
        target: `>= 50% of core-mode NATS, 1 worker: ${pct(durable, one)} (${WINDOW} in flight via the client; receipt stored before ack)`,
        met: durable >= 0.5 * one,
      },
    ];
  } finally {
    await client.close();
    await sender.close();
    for (const worker of workers) await worker.stop();
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
