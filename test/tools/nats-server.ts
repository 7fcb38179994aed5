import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test harness for the NATS transport: a private nats-server on a free 127.0.0.1 port with
 * JetStream (unless asked not to) in a temp store dir, and bus workers spawned from the built bin. No vitest import, so
 * the benchmark (run from dist/) uses it too.
 */

const HOST = '127.0.0.1';

/** The repository root, found upward from here; this file also runs from dist/, which holds a package.json but no tsconfig.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'tsconfig.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tsconfig.json not found above the NATS test harness');
    dir = parent;
  }
  return dir;
}

export const BIN = join(repoRoot(), 'dist/adapters/node/bin.js');

/** The nats-server executable on PATH (or Debian's /usr/sbin, often not on a user's PATH), or null. */
export function findNatsServer(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

export const NATS_SERVER = findNatsServer();

/** For `describe.skipIf`: skip NATS suites without nats-server, except in CI, where startNatsServer throws and they fail. */
export const skipNats = NATS_SERVER === null && process.env.CI !== 'true';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = tcpConnect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** SIGTERM (nats-server shuts JetStream down cleanly), SIGKILL if it lingers. */
  stop(): Promise<void>;
  /** Same port, same store: what a client sees as a server restart. */
  restart(): Promise<void>;
  /** stop, then remove the store dir */
  dispose(): Promise<void>;
}

/** `extraArgs` go to nats-server as given (e.g. TLS or auth flags); `jetstream: false` starts it without `-js`. */
export async function startNatsServer(extraArgs: readonly string[] = [], { jetstream = true }: { jetstream?: boolean } = {}): Promise<NatsServer> {
  if (NATS_SERVER === null) throw new Error('nats-server is not installed (CI installs it with apt-get in .ci/run)');
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'capbus-nats-'));
  let child: ChildProcess | null = null;

  const launch = async () => {
    const proc = spawn(NATS_SERVER, ['-a', HOST, '-p', String(port), ...(jetstream ? ['-js', '-sd', storeDir] : []), ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proc.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    child = proc;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}: ${log}`);
      if (await accepts(port)) return;
      await sleep(25);
    }
    proc.kill('SIGKILL');
    throw new Error(`nats-server did not accept connections on ${HOST}:${port} within 10 s: ${log}`);
  };

  const stop = async () => {
    const proc = child;
    child = null;
    if (proc) await stopProcess(proc, 5_000);
  };

  await launch();
  return {
    url: `nats://${HOST}:${port}`,
    port,
    storeDir,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    async dispose() {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** Signals a process and waits for it to exit; SIGKILL after `graceMs`. */
export async function stopProcess(proc: ChildProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface SpawnedWorker {
  readonly proc: ChildProcess;
  /** the JSON log lines it wrote to stderr so far */
  readonly logs: Record<string, unknown>[];
  /** SIGTERM and wait (graceful drain) */
  stop(): Promise<void>;
  /** SIGKILL: no drain, no cleanup */
  kill(): Promise<void>;
}

/** Starts `bin serve <args>` (with `env` added to this process's environment) and resolves once it logs that it is ready. */
export async function spawnWorker(args: readonly string[], readyTimeoutMs = 15_000, env: Readonly<Record<string, string>> = {}): Promise<SpawnedWorker> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  const logs: Record<string, unknown>[] = [];
  let raw = '';
  let pending = '';
  const ready = new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`worker not ready within ${readyTimeoutMs} ms: ${raw.slice(-2000)}`)), readyTimeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`worker exited with ${code} before it was ready: ${raw.slice(-2000)}`));
    });
    proc.stderr!.on('data', (chunk: Buffer) => {
      raw = (raw + chunk.toString()).slice(-20_000);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          logs.push(record);
          if (record.msg === 'ready') {
            clearTimeout(timer);
            done();
          }
        } catch {
          // not a log record (e.g. a stack trace); kept in `raw` for failure messages
        }
      }
    });
  });
  try {
    await ready;
  } catch (error) {
    proc.kill('SIGKILL');
    throw error;
  }
  return {
    proc,
    logs,
    stop: () => stopProcess(proc, 10_000),
    kill: () => stopProcess(proc, 1_000, 'SIGKILL'),
  };
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
