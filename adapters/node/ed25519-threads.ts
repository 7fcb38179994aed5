import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Ed25519Offload } from '../../src/seal/seal.js';
import { KEY_CACHE_LIMIT, PKCS8_PREFIX_HEX, SPKI_PREFIX_HEX } from './ed25519-der.js';

/**
 * Ed25519 on worker threads, in batches. node:crypto's callback forms (libuv's pool) cost the
 * calling thread a job object, a handle, a callback and a promise per signature (measured: the
 * main thread spent 53-65 µs per in-flight sealed cap that way, 41-52 µs with this pool); here
 * a whole event-loop turn of signatures crosses to a thread as one message and comes back as one
 * (`npm run bench` prints both).
 *
 * Wire format of a batch (little-endian), one job after the other:
 *   sign:   0, u32 message length, seed[32], message
 *   verify: 1, u32 message length, public key[32], signature[64], message
 * Answer: 65 bytes a job: status (0 invalid, 1 valid or signed, 2 failed), then the signature.
 */

const SIGN = 0;
const VERIFY = 1;
const ANSWER_BYTES = 65;
const FAILED = 2;
/** jobs in one message; past this a turn's jobs go out in more batches, spread over the threads */
const BATCH_LIMIT = 64;

/**
 * What runs on each thread, as source text (`eval`): it needs no file of its own beside the
 * built one, and no transpiler can add helpers to it (a compiled function's text may call some).
 * Built-in modules come through `process.getBuiltinModule`, which works whether the host runs
 * eval'd code as CommonJS or as a module (`--input-type=module`).
 */
const THREAD_SOURCE = `
const { parentPort } = process.getBuiltinModule('node:worker_threads');
const crypto = process.getBuiltinModule('node:crypto');
const PKCS8 = Buffer.from('${PKCS8_PREFIX_HEX}', 'hex');
const SPKI = Buffer.from('${SPKI_PREFIX_HEX}', 'hex');
const keys = new Map();
function keyFor(op, raw) {
  const id = op + raw.toString('latin1');
  let key = keys.get(id);
  if (key === undefined) {
    key = op === ${SIGN}
      ? crypto.createPrivateKey({ key: Buffer.concat([PKCS8, raw]), format: 'der', type: 'pkcs8' })
      : crypto.createPublicKey({ key: Buffer.concat([SPKI, raw]), format: 'der', type: 'spki' });
    if (keys.size >= ${KEY_CACHE_LIMIT}) keys.clear();
    keys.set(id, key);
  }
  return key;
}
parentPort.on('message', ({ id, jobs, count }) => {
  const input = Buffer.from(jobs);
  const answers = new Uint8Array(count * ${ANSWER_BYTES});
  let at = 0;
  for (let job = 0; job < count; job++) {
    const op = input[at];
    const length = input.readUInt32LE(at + 1);
    const keyAt = at + 5;
    const messageAt = keyAt + (op === ${SIGN} ? 32 : 96);
    at = messageAt + length;
    const answer = job * ${ANSWER_BYTES};
    try {
      const key = keyFor(op, input.subarray(keyAt, keyAt + 32));
      const message = input.subarray(messageAt, at);
      if (op === ${SIGN}) {
        answers.set(crypto.sign(null, message, key), answer + 1);
        answers[answer] = 1;
      } else {
        answers[answer] = crypto.verify(null, message, key, input.subarray(keyAt + 32, keyAt + 96)) ? 1 : 0;
      }
    } catch {
      // a key OpenSSL refuses verifies nothing; one it cannot sign with fails that job alone
      answers[answer] = op === ${SIGN} ? ${FAILED} : 0;
    }
  }
  parentPort.postMessage({ id, answers }, [answers.buffer]);
});
`;

type Settle = (answers: Uint8Array, at: number) => void;

interface Thread {
  worker: Worker;
  /** jobs sent and not answered */
  load: number;
  batches: Map<number, { settle: Settle[]; fail: (error: Error) => void }>;
}

/** Starts one thread; tests give a thread that fails on purpose. */
export type StartThread = () => Worker;

export const startEd25519Thread: StartThread = () => new Worker(THREAD_SOURCE, { eval: true });

export interface ThreadPoolOptions {
  /** threads (default: the cores this process may use) */
  size?: number;
  start?: StartThread;
}

/**
 * An Ed25519Offload on `size` worker threads, started on first use. Each job's bytes are copied
 * when the job is made, so callers may reuse their buffers at once. Idle threads do not keep the
 * process alive; a thread that fails rejects the jobs it held and is replaced.
 */
export class Ed25519ThreadPool implements Ed25519Offload {
  private threads: Thread[] = [];
  private readonly size: number;
  private readonly start: StartThread;
  private batch = new Uint8Array(16_384);
  private batchBytes = 0;
  private pending: { settle: Settle; fail: (error: Error) => void }[] = [];
  private flushing = false;
  private nextId = 0;

  constructor(options: ThreadPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.start = options.start ?? startEd25519Thread;
  }

  // bound, so they may be passed around as the functions of an Ed25519Offload
  readonly sign = (seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> =>
    this.job(SIGN, message, [seed], (answers, at) => {
      if (answers[at] === FAILED) throw new Error('the signing thread could not sign with this key');
      return answers.slice(at + 1, at + ANSWER_BYTES);
    });

  readonly verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> =>
    signature.length !== 64 || publicKey.length !== 32 ? Promise.resolve(false) : this.job(VERIFY, message, [publicKey, signature], (answers, at) => answers[at] === 1);

  /** Stops the threads; jobs still out are rejected. */
  async close(): Promise<void> {
    const threads = this.threads;
    this.threads = [];
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private job<T>(op: number, message: Uint8Array, keys: Uint8Array[], read: (answers: Uint8Array, at: number) => T): Promise<T> {
    if (keys[0]!.length !== 32) return Promise.reject(new RangeError('Ed25519 keys and seeds are 32 bytes'));
    let size = 5 + message.length;
    for (const key of keys) size += key.length;
    this.reserve(size);
    const at = this.batchBytes;
    const { batch } = this;
    const length = message.length;
    batch[at] = op;
    // u32 little-endian, written in place: no view or array to allocate per job
    batch[at + 1] = length & 0xff;
    batch[at + 2] = (length >>> 8) & 0xff;
    batch[at + 3] = (length >>> 16) & 0xff;
    batch[at + 4] = length >>> 24;
    let offset = at + 5;
    for (const key of keys) {
      batch.set(key, offset);
      offset += key.length;
    }
    batch.set(message, offset);
    this.batchBytes = offset + length;
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        settle: (answers, index) => {
          try {
            resolve(read(answers, index * ANSWER_BYTES));
          } catch (error) {
            reject(error);
          }
        },
        fail: reject,
      });
      if (this.pending.length >= BATCH_LIMIT) this.flush();
      else if (!this.flushing) {
        // the rest of this turn's jobs join the batch
        this.flushing = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private reserve(bytes: number): void {
    if (this.batchBytes + bytes <= this.batch.length) return;
    const grown = new Uint8Array(Math.max(this.batch.length * 2, this.batchBytes + bytes));
    grown.set(this.batch.subarray(0, this.batchBytes));
    this.batch = grown;
  }

  private flush(): void {
    this.flushing = false;
    if (this.pending.length === 0) return;
    const jobs = this.pending;
    const bytes = this.batch.slice(0, this.batchBytes);
    this.pending = [];
    this.batchBytes = 0;
    const thread = this.leastLoaded();
    const id = this.nextId++;
    thread.batches.set(id, { settle: jobs.map((job) => job.settle), fail: (error) => jobs.forEach((job) => job.fail(error)) });
    if (thread.load === 0) thread.worker.ref();
    thread.load += jobs.length;
    thread.worker.postMessage({ id, jobs: bytes.buffer, count: jobs.length }, [bytes.buffer]);
  }

  private leastLoaded(): Thread {
    if (this.threads.length < this.size) {
      // a new thread for every batch until the pool is full: the first busy turns already use every core
      const thread = this.spawn();
      this.threads.push(thread);
      return thread;
    }
    let best = this.threads[0]!;
    for (const thread of this.threads) if (thread.load < best.load) best = thread;
    return best;
  }

  private spawn(): Thread {
    const thread: Thread = { worker: this.start(), load: 0, batches: new Map() };
    const { worker } = thread;
    worker.on('message', ({ id, answers }: { id: number; answers: Uint8Array }) => {
      const batch = thread.batches.get(id);
      if (batch === undefined) return;
      thread.batches.delete(id);
      thread.load -= batch.settle.length;
      if (thread.load === 0) worker.unref();
      batch.settle.forEach((settle, index) => settle(answers, index));
    });
    const lost = (why: string) => {
      const error = new Error(`an Ed25519 thread stopped: ${why}`);
      for (const batch of thread.batches.values()) batch.fail(error);
      thread.batches.clear();
      thread.load = 0;
      // the next batch starts a fresh thread in its place
      this.threads = this.threads.filter((other) => other !== thread);
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    worker.unref();
    return thread;
  }
}
