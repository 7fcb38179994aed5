import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { connectCapBus } from '../adapters/nats/index.js';
import { makeCap } from '../src/records/cap.js';
import { randomIds, systemClock } from '../src/clock.js';
import { skipNats, spawnWorker, startNatsServer } from './tools/nats-server.js';

const CONFIG = fileURLToPath(new URL('../examples/nats-permissions.conf', import.meta.url));
const ctx = { clock: systemClock, ids: randomIds() };

describe.skipIf(skipNats)('the example NATS permissions (examples/nats-permissions.conf)', () => {
  it('let workers run a partitioned deployment and senders emit, and keep senders off capbus.part.>', async () => {
    const server = await startNatsServer(['-c', CONFIG]);
    const worker = await spawnWorker(['--nats', server.url, '--user', 'capbus-worker', '--password', 'worker-secret']);
    try {
      const login = { servers: server.url, user: 'capbus-sender', pass: 'sender-secret' };
      const client = await connectCapBus({ servers: server.url, user: 'capbus-sender', password: 'sender-secret' });
      const cap = makeCap({ actor_id: 'codex.aint', intent: 'agent.tool.high', authority_ref: 'sam:perm', payload: {} }, ctx);
      expect(await client.emit(cap)).toMatchObject({ cap_id: cap.cap_id, outcome: 'executed' });
      await client.close();

      const sender = await connect(login);
      const refused = sender.request('capbus.part.0', '{}', { timeout: 2_000 });
      await expect(refused).rejects.toThrow(/permissions violation/i);
      await sender.close().catch(() => {});
      expect(worker.logs.filter((l) => l.msg === 'bad hand-off')).toEqual([]);
    } finally {
      await worker.stop();
      await server.dispose();
    }
  }, 60_000);
});
