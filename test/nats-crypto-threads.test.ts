import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCapBus } from '../adapters/nats/index.js';
import { writeKeyFile } from '../adapters/node/key-files.js';
import { nodeBackend } from '../adapters/node/ed25519.js';
import { randomIds, systemClock } from '../src/clock.js';
import { makeCap } from '../src/records/cap.js';
import { generateKeyFile, signingKeyFromSeed } from '../src/seal/keys.js';
import { keyText, openSealed } from '../src/seal/seal.js';
import { sealCap } from '../src/seal/trust.js';
import { BIN, skipNats, spawnWorker, startNatsServer, type NatsServer } from './tools/nats-server.js';

/** `serve --crypto-threads N`: however many threads verify and sign (0: none), every cap is judged alike. */

const ctx = { clock: systemClock, ids: randomIds() };
const actor = signingKeyFromSeed(new Uint8Array(32).fill(3), nodeBackend);
/** Threads of a process, as Linux counts them. */
const threadsOf = (pid: number) => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describe.skipIf(skipNats)('serve --crypto-threads', () => {
  let server: NatsServer;
  let raw: NatsConnection;
  const dir = mkdtempSync(join(tmpdir(), 'capbus-crypto-threads-'));
  const busKeyFile = generateKeyFile('bus');
  const keyFile = join(dir, 'bus.key');
  const ringFile = join(dir, 'keyring.json');
  /** each worker's thread count after its burst */
  const counted = new Map<string, number>();

  beforeAll(async () => {
    server = await startNatsServer();
    raw = await connect({ servers: server.url });
    writeKeyFile(keyFile, busKeyFile);
    writeFileSync(ringFile, JSON.stringify({ actors: { 'codex.aint': [keyText(actor.publicKey)] }, bus: busKeyFile.public_key }));
  });

  afterAll(async () => {
    await raw?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const threads of ['0', '1', '3']) {
    it(`${threads} threads: a burst of sealed caps all verified and answered with bus-sealed receipts, a forged one rejected`, async () => {
      const prefix = `threads${threads}`;
      const worker = await spawnWorker(['--nats', server.url, '--subject-prefix', prefix, '--bus-key', keyFile, '--keyring', ringFile, '--crypto-threads', threads]);
      const client = await connectCapBus({ servers: server.url, prefix, backend: nodeBackend, busKey: busKeyFile.public_key, timeoutMs: 20_000 });
      try {
        // more than three batches of verify jobs, however they arrive: each batch until the pool is full starts a thread
        const caps = Array.from({ length: 200 }, (_, i) => makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:test', payload: { i } }, ctx));
        const forged = makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:test', payload: { forged: true } }, ctx);
        const bytes = sealCap(forged, actor, nodeBackend).bytes.slice();
        bytes[bytes.length - 1]! ^= 0xff;
        const headers = natsHeaders();
        headers.set('Content-Type', 'application/cose');
        const [receipts, forgedReply] = await Promise.all([
          Promise.all(caps.map((cap) => client.emit(cap, { key: actor }))),
          raw.request(`${prefix}.cap.agent.tool.high`, bytes, { headers, timeout: 20_000 }),
        ]);
        expect(receipts.map((r) => [r.cap_id, r.outcome])).toEqual(caps.map((c) => [c.cap_id, 'executed']));
        const opened = openSealed(forgedReply.data);
        expect(opened.ok && opened.kid_text).toBe(busKeyFile.public_key);
        expect(opened.ok && opened.record).toMatchObject({ cap_id: forged.cap_id, outcome: 'rejected' });
        expect(opened.ok && JSON.stringify(opened.record)).toMatch(/bad-signature/);
        if (process.platform === 'linux') counted.set(threads, threadsOf(worker.proc.pid!));
      } finally {
        await client.close();
        await worker.stop();
      }
    });
  }

  it.skipIf(process.platform !== 'linux')('each worker started as many crypto threads as it was told to', () => {
    // the rest of a Node process's threads are the same in the three workers
    expect(counted.get('1')! - counted.get('0')!).toBe(1);
    expect(counted.get('3')! - counted.get('0')!).toBe(3);
  });

  it('a count that is not 0-256 is a usage error (exit 2) naming the flag', () => {
    for (const bad of ['-1', 'two', '257']) {
      const run = spawnSync(process.execPath, [BIN, 'serve', '--crypto-threads', bad], { encoding: 'utf8' });
      expect(run.status, bad).toBe(2);
      expect(run.stderr).toMatch(/--crypto-threads must be an integer from 0 to 256/);
    }
  });
});
