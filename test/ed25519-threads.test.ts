import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeBackend } from '../adapters/node/ed25519.js';
import { Ed25519ThreadPool, startEd25519Thread } from '../adapters/node/ed25519-threads.js';

/**
 * Issue 15: the Node backend signs and verifies off the main thread in batches on worker
 * threads. Every answer must be the one node:crypto gives on the calling thread, for its own job
 * however jobs are batched, and a thread that fails must reject its jobs, not lose them.
 */

const pool = new Ed25519ThreadPool({ size: 2 });
afterAll(() => pool.close());

const seeds = fc.uint8Array({ minLength: 32, maxLength: 32 });
const messages = fc.uint8Array({ minLength: 0, maxLength: 2_000 });

describe('Ed25519 thread pool', () => {
  test.prop([fc.array(fc.tuple(seeds, messages), { minLength: 1, maxLength: 150 })], { numRuns: 25 })(
    'signs and verifies as node:crypto does on this thread, each job its own answer, however many are batched',
    async (jobs) => {
      const signed = await Promise.all(jobs.map(([seed, message]) => pool.sign(seed, message)));
      jobs.forEach(([seed, message], i) => expect(signed[i]).toEqual(nodeBackend.sign(seed, message)));
      const keys = jobs.map(([seed]) => nodeBackend.publicKey(seed));
      const valid = await Promise.all(jobs.map(([, message], i) => pool.verify(signed[i]!, message, keys[i]!)));
      expect(valid.every(Boolean)).toBe(true);
      // every other job checked against its neighbour's signature: those must fail, the rest hold
      const crossed = await Promise.all(jobs.map(([, message], i) => pool.verify(signed[i % 2 ? (i + 1) % jobs.length : i]!, message, keys[i]!)));
      jobs.forEach(([, message], i) => {
        const signature = signed[i % 2 ? (i + 1) % jobs.length : i]!;
        expect(crossed[i]).toBe(nodeBackend.verify(signature, message, keys[i]!));
      });
    },
  );

  it('copies a job when it is made: the caller may reuse its buffer at once', async () => {
    const seed = new Uint8Array(32).fill(4);
    const scratch = new Uint8Array(64).fill(1);
    const first = pool.sign(seed, scratch);
    scratch.fill(2);
    const second = pool.sign(seed, scratch);
    expect(await first).toEqual(nodeBackend.sign(seed, new Uint8Array(64).fill(1)));
    expect(await second).toEqual(nodeBackend.sign(seed, new Uint8Array(64).fill(2)));
  });

  it('answers false for what cannot verify (wrong sizes, a key OpenSSL refuses) and refuses a seed of the wrong size', async () => {
    const message = new Uint8Array([1, 2, 3]);
    const seed = new Uint8Array(32).fill(6);
    const signature = nodeBackend.sign(seed, message);
    const key = nodeBackend.publicKey(seed);
    expect(await pool.verify(signature.subarray(1), message, key)).toBe(false);
    expect(await pool.verify(signature, message, key.subarray(1))).toBe(false);
    // not a point on the curve: node:crypto refuses the key, which verifies nothing
    const notAKey = new Uint8Array(32).fill(0xff);
    expect(await pool.verify(signature, message, notAKey)).toBe(nodeBackend.verify(signature, message, notAKey));
    await expect(pool.sign(new Uint8Array(31), message)).rejects.toThrow(/32 bytes/);
  });

  it('a thread that stops rejects the jobs it held, and a new thread takes the next ones', async () => {
    let started = 0;
    const failing = new Ed25519ThreadPool({
      size: 1,
      // the first thread dies on its first batch; the ones after it work
      start: () => (started++ === 0 ? new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(3))", { eval: true }) : startEd25519Thread()),
    });
    try {
      const seed = new Uint8Array(32).fill(5);
      const lost = [failing.sign(seed, new Uint8Array([1])), failing.verify(new Uint8Array(64), new Uint8Array([1]), nodeBackend.publicKey(seed))];
      for (const job of lost) await expect(job).rejects.toThrow(/Ed25519 thread stopped: exit code 3/);
      expect(await failing.sign(seed, new Uint8Array([1]))).toEqual(nodeBackend.sign(seed, new Uint8Array([1])));
      expect(started).toBe(2);
    } finally {
      await failing.close();
    }
  });

  it('idle threads do not keep a process alive', () => {
    // a process that signs on the pool and then has nothing left to do must end by itself
    const script = `
      import { Ed25519ThreadPool } from './adapters/node/ed25519-threads.ts';
      const pool = new Ed25519ThreadPool({ size: 2 });
      const signatures = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.sign(new Uint8Array(32).fill(1), new Uint8Array([i]))));
      console.log(signatures.length);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('100');
    expect(run.status).toBe(0);
  });
});
