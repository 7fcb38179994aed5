import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyFile } from '../src/seal/keys.js';
import { writeKeyFile } from '../adapters/node/key-files.js';
import { BIN, skipNats, spawnWorker, startNatsServer, type NatsServer, type SpawnedWorker } from './tools/nats-server.js';

describe.skipIf(skipNats)('emit --nats through the bin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capbus-emit-'));
  const file = (name: string) => join(dir, name);
  let server: NatsServer;
  let worker: SpawnedWorker;

  beforeAll(async () => {
    writeKeyFile(file('bus.key'), generateKeyFile('bus'));
    writeKeyFile(file('alice.key'), generateKeyFile('alice.aint'));
    writeKeyFile(file('mallory.key'), generateKeyFile('mallory.aint'));
    const key = (name: string) => JSON.parse(readFileSync(file(name), 'utf8')).public_key;
    writeFileSync(file('ring.json'), JSON.stringify({ actors: { 'alice.aint': [key('alice.key')] }, bus: key('bus.key') }));
    server = await startNatsServer();
    worker = await spawnWorker(['--nats', server.url, '--bus-key', file('bus.key'), '--keyring', file('ring.json')]);
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.dispose();
  });

  const emit = (...args: string[]) => spawnSync(process.execPath, [BIN, 'emit', '--nats', server.url, '--intent', 'agent.tool.high', '--payload', '{"tool":"x"}', ...args], { encoding: 'utf8' });

  it('a sealed cap from a bound key executes; the receipt is printed', () => {
    const r = emit('--actor', 'alice.aint', '--key', file('alice.key'));
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ actor_id: 'alice.aint', outcome: 'executed', cap_hash: expect.stringMatching(/^sha256:/) });
  });

  it('an unbound key is refused by the bus: the rejected receipt is printed and emit exits 1', () => {
    const r = emit('--actor', 'alice.aint', '--key', file('mallory.key'));
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'rejected', continuation_mode: 'reject', payload: { accepted: false } });
    expect(r.stderr).toContain('key-not-bound');
  });

  it('a worker with a keyring refuses unsealed caps unless started with --allow-unsealed', async () => {
    const r = emit('--actor', 'alice.aint');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unsealed');
    const open = await spawnWorker(['--nats', server.url, '--subject-prefix', 'open', '--bus-key', file('bus.key'), '--keyring', file('ring.json'), '--allow-unsealed']);
    try {
      const ok = emit('--actor', 'alice.aint', '--subject-prefix', 'open');
      expect(ok.status, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout).outcome).toBe('executed');
    } finally {
      await open.stop();
    }
  });

  it('an unreachable bus exits 2', () => {
    const r = spawnSync(process.execPath, [BIN, 'emit', '--nats', 'nats://127.0.0.1:1', '--actor', 'a', '--intent', 'a.b'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
  });
});
